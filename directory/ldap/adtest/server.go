package adtest

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	goldap "github.com/go-ldap/ldap/v3"

	"radiusd/internal/testcert"
)

const (
	readyTimeout = 60 * time.Second // samba answering LDAPS after exec
	stopTimeout  = 15 * time.Second // SIGTERM before SIGKILL
	addrPrefix   = "127.0.77."      // DC addresses are addrPrefix + 1..250
)

// ports are the TCP ports a DC binds on its address.
var ports = []int{88, 389, 464, 636, 3268, 3269}

// smbConf is the DC's configuration: only the ldap and kdc services, bound
// to one loopback address, every path inside the DC's folder. The "/8"
// makes Samba accept an address no interface carries ("user knows best").
const smbConf = `[global]
	netbios name = DC1
	workgroup = {{domain}}
	realm = {{realm}}
	server role = active directory domain controller
	server services = ldap, kdc
	interfaces = {{addr}}/8
	bind interfaces only = yes
	private dir = {{dir}}/private
	state directory = {{dir}}/state
	cache directory = {{dir}}/cache
	lock directory = {{dir}}/run
	pid directory = {{dir}}/run
	ncalrpc dir = {{dir}}/run/ncalrpc
	winbindd socket directory = {{dir}}/run/winbindd
	ntp signd socket directory = {{dir}}/run/ntp_signd
	binddns dir = {{dir}}/bind-dns
	log file = {{dir}}/log/samba.log
	log level = 1
	tls enabled = yes
	tls keyfile = {{dir}}/tls/key.pem
	tls certfile = {{dir}}/tls/cert.pem
	tls cafile = {{dir}}/tls/ca.pem
	idmap_ldb:use rfc2307 = yes
`

// prepare copies the template into dc.Dir and writes the DC's certificate
// and smb.conf.
func (dc *DC) prepare(tmpl string) error {
	if err := copyTree(tmpl, dc.Dir); err != nil {
		return fmt.Errorf("adtest: copy template: %w", err)
	}
	for _, sub := range []string{"run", "log", "cache", "tls"} {
		if err := os.MkdirAll(filepath.Join(dc.Dir, sub), 0o700); err != nil {
			return fmt.Errorf("adtest: %w", err)
		}
	}
	if _, err := testcert.Write(filepath.Join(dc.Dir, "tls"), dc.Addr, ServerName, "localhost"); err != nil {
		return err
	}
	conf := strings.NewReplacer("{{domain}}", Domain, "{{realm}}", Realm,
		"{{addr}}", dc.Addr, "{{dir}}", dc.Dir).Replace(smbConf)
	if err := os.WriteFile(dc.confPath(), []byte(conf), 0o600); err != nil {
		return fmt.Errorf("adtest: write smb.conf: %w", err)
	}
	return nil
}

func (dc *DC) confPath() string { return filepath.Join(dc.Dir, "etc", "smb.conf") }
func (dc *DC) logPath() string  { return filepath.Join(dc.Dir, "log", "samba.out") }

// start runs samba and waits until the service account can search over
// LDAPS; it registers the stop in t.Cleanup and fails t with the log tail.
func (dc *DC) start(t testing.TB, samba string) {
	t.Helper()
	args := []string{"-i", "-M", "single", "-s", dc.confPath(), "--maximum-runtime=" + maxRuntime(t)}
	p, err := startProcess(samba, args, dc.logPath())
	if err != nil {
		t.Fatalf("adtest: %v", err)
	}
	dc.proc, dc.PID = p, p.cmd.Process.Pid
	t.Cleanup(func() {
		if err := p.stop(); err != nil {
			t.Errorf("adtest: %v\n%s", err, dc.logTail())
		}
	})
	if err := dc.waitReady(); err != nil {
		t.Fatalf("adtest: %v\nsamba log (%s):\n%s", err, dc.logPath(), dc.logTail())
	}
}

// maxRuntime bounds samba's life: the test deadline plus a minute, or two
// hours. (samba also exits when its stdin, a pipe from us, is closed.)
func maxRuntime(t testing.TB) string {
	limit := 2 * time.Hour
	if d, ok := t.(interface{ Deadline() (time.Time, bool) }); ok {
		if dl, ok := d.Deadline(); ok {
			limit = time.Until(dl) + time.Minute
		}
	}
	return strconv.Itoa(int(limit.Seconds()))
}

// waitReady polls until a search as the service account succeeds over
// LDAPS, samba exits, or readyTimeout passes.
func (dc *DC) waitReady() error {
	deadline := time.NewTimer(readyTimeout)
	defer deadline.Stop()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	var last error
	for {
		if last = dc.ping(); last == nil {
			return nil
		}
		select {
		case <-dc.proc.exited:
			return fmt.Errorf("samba exited before answering: %w", dc.proc.err)
		case <-deadline.C:
			return fmt.Errorf("samba did not answer on %s within %v: %w", dc.LDAPSURL, readyTimeout, last)
		case <-tick.C:
		}
	}
}

// ping binds as the service account over verified LDAPS and reads BaseDN.
func (dc *DC) ping() error {
	conn, err := dc.dial(dc.BindDN, dc.BindPassword)
	if err != nil {
		return err
	}
	defer conn.Close()
	req := goldap.NewSearchRequest(BaseDN, goldap.ScopeBaseObject, goldap.NeverDerefAliases,
		1, 5, false, "(objectClass=*)", []string{"dn"}, nil)
	if _, err := conn.Search(req); err != nil {
		return fmt.Errorf("search %s: %w", BaseDN, err)
	}
	return nil
}

// dial opens a verified LDAPS connection bound as dn.
func (dc *DC) dial(dn, password string) (*goldap.Conn, error) {
	cfg, err := dc.TLSConfig()
	if err != nil {
		return nil, err
	}
	conn, err := goldap.DialURL(dc.LDAPSURL, goldap.DialWithTLSConfig(cfg),
		goldap.DialWithDialer(&net.Dialer{Timeout: 3 * time.Second}))
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", dc.LDAPSURL, err)
	}
	conn.SetTimeout(30 * time.Second)
	if err := conn.Bind(dn, password); err != nil {
		conn.Close()
		return nil, fmt.Errorf("bind as %s: %w", dn, err)
	}
	return conn, nil
}

func (dc *DC) logTail() string {
	f, err := os.Open(dc.logPath())
	if err != nil {
		return err.Error()
	}
	defer f.Close()
	return tail(f, 40)
}

// allocateAddr picks a free DC address 127.0.77.N: one whose lock file this
// process holds and whose ports nothing listens on. release frees it.
func allocateAddr() (addr string, release func(), err error) {
	root, err := cacheRoot()
	if err != nil {
		return "", nil, err
	}
	dir := filepath.Join(root, "addr")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", nil, fmt.Errorf("adtest: %w", err)
	}
	first := os.Getpid() % 250
	for i := range 250 {
		ip := addrPrefix + strconv.Itoa(1+(first+i)%250)
		unlock, err := lockFile(filepath.Join(dir, ip+".lock"), false)
		if errors.Is(err, errLocked) {
			continue
		}
		if err != nil {
			return "", nil, fmt.Errorf("adtest: lock address: %w", err)
		}
		if portsFree(ip) {
			return ip, unlock, nil
		}
		unlock()
	}
	return "", nil, errors.New("adtest: no free address in " + addrPrefix + "1-250")
}

// portsFree reports whether every DC port of ip can be bound.
func portsFree(ip string) bool {
	for _, port := range ports {
		ln, err := net.Listen("tcp", net.JoinHostPort(ip, strconv.Itoa(port)))
		if err != nil {
			return false
		}
		ln.Close()
	}
	return true
}

// process is a running samba and its process group.
type process struct {
	cmd    *exec.Cmd
	stdin  *os.File      // closing it makes samba exit ("EOF on stdin")
	exited chan struct{} // closed when cmd.Wait returns
	err    error         // cmd.Wait's result, set before exited closes
}

// startProcess runs name in its own process group, stdout and stderr
// appended to logPath, stdin a pipe that only this process holds.
func startProcess(name string, args []string, logPath string) (*process, error) {
	logf, err := os.OpenFile(logPath, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("adtest: open log: %w", err)
	}
	defer logf.Close()
	r, w, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("adtest: pipe: %w", err)
	}
	defer r.Close()
	cmd := exec.Command(name, args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = r, logf, logf
	setProcessGroup(cmd)
	if err := cmd.Start(); err != nil {
		w.Close()
		return nil, fmt.Errorf("adtest: start %s: %w", name, err)
	}
	p := &process{cmd: cmd, stdin: w, exited: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.exited)
	}()
	return p, nil
}

// stop closes samba's stdin and sends SIGTERM to its process group, then
// SIGKILL after stopTimeout; it returns once the group is empty.
func (p *process) stop() error {
	pid := p.cmd.Process.Pid
	p.stdin.Close()
	_ = signalGroup(pid, false)
	select {
	case <-p.exited:
	case <-time.After(stopTimeout):
		_ = signalGroup(pid, true)
		<-p.exited
	}
	for range 50 { // children, if any, may outlive the leader briefly
		if !groupAlive(pid) {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	_ = signalGroup(pid, true)
	return fmt.Errorf("samba process group %d outlived its leader; killed", pid)
}
