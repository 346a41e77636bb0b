//go:build integration

package integration

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// sharedSecret starts the RADIUS secret of every test client; each server
// adds a random suffix, so that no server answers a probe meant for another
// one that failed to bind the same port.
const sharedSecret = "a-long-test-secret-0123456789abcdef"

// enrollURL is the policy.enroll_url of every test config.
const enrollURL = "https://vpn.example.org/enroll"

// Reply-Message texts (PRODUCT.md §6).
const (
	msgFailed   = "Authentication failed"
	msgLocked   = "Account temporarily locked"
	msgEnroll   = "Two-factor enrollment required: " + enrollURL
	msgPrompt   = "Enter the code from your authenticator app"
	installHint = "apt-get install -y freeradius-utils oathtool zbar-tools sqlite3 pamtester libpam-radius-auth chromium"
)

// requireTool skips the test when a command-line tool is missing, or fails
// it when RADIUSD_INTEGRATION_REQUIRED=1.
func requireTool(t *testing.T, names ...string) {
	t.Helper()
	for _, name := range names {
		if _, err := exec.LookPath(name); err != nil {
			msg := fmt.Sprintf("%s not found; install it with: %s", name, installHint)
			if os.Getenv("RADIUSD_INTEGRATION_REQUIRED") == "1" {
				t.Fatal(msg)
			}
			t.Skip(msg)
		}
	}
}

// user is one entry of the users file.
type user struct {
	name     string
	password string
}

// newUser returns a user with a fresh random password, registered as secret.
func newUser(name string) user {
	b := make([]byte, 6)
	rand.Read(b)
	pw := "Pw-" + hex.EncodeToString(b) + "!"
	sensitive.remember("password", pw)
	return user{name: name, password: pw}
}

// newSecret returns a new shared secret, registered as secret.
func newSecret() string {
	b := make([]byte, 4)
	rand.Read(b)
	sec := sharedSecret + "-" + hex.EncodeToString(b)
	sensitive.remember("shared secret", sec)
	return sec
}

// options describe one radiusd configuration. Zero values mean the
// defaults of the test config.
type options struct {
	mode           string   // default password+otp
	networks       []string // default 127.0.0.1/32
	readyFrom      string   // source address of the readiness probe; default 127.0.0.1
	noRequireMA    bool     // require_message_authenticator: false
	enforce        string   // default all
	maxFailures    int      // default 3
	requestTimeout string   // default 2s
	users          []user
	directory      string   // the directory section; default the users file
	usernames      string   // the usernames section; default defaultUsernames
	policyGroups   []string // policy.groups
	store          string   // the store section; default SQLite in data/
	extra          string   // appended to the config (more top-level keys)
}

// defaultUsernames is the usernames section of every test config unless
// options.usernames replaces it.
const defaultUsernames = "{ lowercase: true, strip_domains: [EXAMPLE], strip_realms: [example.org] }"

// server is one radiusd test instance: its directory, config and process.
type server struct {
	t      *testing.T
	dir    string // the config file's directory
	config string // the config file
	opts   options
	secret string // the client's shared secret
	addr   string // 127.0.0.1:port of the current run
	proc   *proc  // the current run
	runs   int
}

// proc is one run of "radiusd serve".
type proc struct {
	cmd     *exec.Cmd
	log     *syncBuffer
	exited  chan struct{} // closed when the process has exited
	waitErr error         // set before exited is closed
	stopped bool          // the exit has been checked
}

// newServer writes the users file and the config into a new temporary
// directory; it does not start radiusd (see start).
func newServer(t *testing.T, o options) *server {
	t.Helper()
	return newServerIn(t, t.TempDir(), o)
}

// newServerIn is newServer in a given directory.
func newServerIn(t *testing.T, dir string, o options) *server {
	t.Helper()
	s := &server{t: t, dir: dir, config: filepath.Join(dir, "radiusd.yaml"), opts: o, secret: newSecret()}
	s.writeUsers()
	s.writeConfig(freePort(t))
	return s
}

// startServer writes a config for o, starts radiusd and waits until it
// answers a Status-Server. Cleanup stops it and checks it exits 0.
func startServer(t *testing.T, o options) *server {
	t.Helper()
	s := newServer(t, o)
	s.start()
	return s
}

// writeUsers writes users.yaml with a bcrypt hash of each password.
func (s *server) writeUsers() {
	s.t.Helper()
	var b strings.Builder
	b.WriteString("users:\n")
	for _, u := range s.opts.users {
		fmt.Fprintf(&b, "  - name: %q\n    password_hash: %q\n    groups: [vpn-users]\n", u.name, hashPassword(s.t, u.password))
	}
	s.writeFile("users.yaml", b.String(), 0o644)
}

// configYAML renders the config for a listener on port.
func (s *server) configYAML(port int) string {
	o := s.opts
	mode, enforce := or(o.mode, "password+otp"), or(o.enforce, "all")
	timeout := or(o.requestTimeout, "2s")
	maxFailures := o.maxFailures
	if maxFailures == 0 {
		maxFailures = 3
	}
	networks := o.networks
	if networks == nil {
		networks = []string{"127.0.0.1/32"}
	}
	store := or(o.store, "{ path: data/radiusd.db, key_file: data/radiusd.key }")
	return fmt.Sprintf(`listen: ["127.0.0.1:%d"]
radius: { request_timeout: %s }
clients:
  - name: test
    networks: [%q]
    secret: %q
    mode: %s
    require_message_authenticator: %t
store: %s
directory: %s
usernames: %s
policy: { enforce: %s, enroll_url: %q, groups: [%s] }
lockout: { max_failures: %d, duration: 15m }
%s`, port, timeout, strings.Join(networks, `", "`), s.secret, mode, !o.noRequireMA, store,
		or(o.directory, "{ backend: file, file: users.yaml }"), or(o.usernames, defaultUsernames),
		enforce, enrollURL, quoteList(o.policyGroups), maxFailures, o.extra)
}

// quoteList renders values as the items of a YAML flow sequence.
func quoteList(values []string) string {
	q := make([]string, len(values))
	for i, v := range values {
		q[i] = strconv.Quote(v)
	}
	return strings.Join(q, ", ")
}

// writeConfig writes radiusd.yaml for a listener on port.
func (s *server) writeConfig(port int) {
	s.addr = fmt.Sprintf("127.0.0.1:%d", port)
	s.writeFile("radiusd.yaml", s.configYAML(port), 0o644)
}

// writeFile writes name (relative to the server directory) with perm.
func (s *server) writeFile(name, text string, perm os.FileMode) string {
	s.t.Helper()
	p := filepath.Join(s.dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		s.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(text), perm); err != nil {
		s.t.Fatal(err)
	}
	if err := os.Chmod(p, perm); err != nil {
		s.t.Fatal(err)
	}
	return p
}

// or returns s, or def if s is empty.
func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// freePort returns a UDP port on 127.0.0.1 that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port
}

// start runs "radiusd serve" and waits until it answers; a port that was
// taken in the meantime is retried with another one.
func (s *server) start() {
	s.t.Helper()
	for attempt := 0; attempt < 5; attempt++ {
		if attempt > 0 {
			s.writeConfig(freePort(s.t))
		}
		p := s.launch()
		if s.waitReady(p, 10*time.Second) {
			return
		}
		p.stopped = true
		if !strings.Contains(p.log.String(), "address already in use") {
			s.t.Fatalf("radiusd serve exited before answering (%v); log:\n%s", p.waitErr, p.log)
		}
	}
	s.t.Fatal("radiusd serve: no free port after 5 attempts")
}

// launch starts "radiusd serve" and registers the cleanup that stops it.
func (s *server) launch() *proc {
	s.t.Helper()
	s.runs++
	p := &proc{log: &syncBuffer{}, exited: make(chan struct{})}
	p.cmd = exec.Command(radiusdBin, "serve", "--config", s.config)
	p.cmd.Stderr = p.log
	if err := p.cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	name := fmt.Sprintf("%s serve #%d", s.t.Name(), s.runs)
	go func() {
		p.waitErr = p.cmd.Wait()
		logs.add(name, p.log.String())
		close(p.exited)
	}()
	s.proc = p
	s.t.Cleanup(func() {
		s.stopProc(p)
		if s.t.Failed() {
			s.t.Logf("log of %s:\n%s", name, p.log)
		}
	})
	return p
}

// waitReady polls with Status-Server until an answer (true) or the exit of
// the process (false).
func (s *server) waitReady(p *proc, limit time.Duration) bool {
	s.t.Helper()
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		select {
		case <-p.exited:
			return false
		default:
		}
		if s.statusOK() {
			return true
		}
		time.Sleep(50 * time.Millisecond)
	}
	s.t.Fatalf("radiusd did not answer Status-Server within %v; log:\n%s", limit, p.log)
	return false
}

// stop sends SIGTERM and checks that radiusd exits 0 within 5 seconds.
func (s *server) stop() {
	s.t.Helper()
	s.stopProc(s.proc)
}

// stopProc stops one run once, as stop describes.
func (s *server) stopProc(p *proc) {
	s.t.Helper()
	if p == nil || p.stopped {
		return
	}
	p.stopped = true
	select {
	case <-p.exited:
	default:
		if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
			s.t.Errorf("SIGTERM radiusd: %v", err)
		}
	}
	select {
	case <-p.exited:
	case <-time.After(5 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.exited
		s.t.Errorf("radiusd did not exit within 5s of SIGTERM")
		return
	}
	if code := p.cmd.ProcessState.ExitCode(); code != 0 {
		s.t.Errorf("radiusd serve exited %d after SIGTERM, want 0; log:\n%s", code, p.log)
	}
}

// with returns a view of s whose failures are reported on t (a subtest);
// it must not be used to start, stop or restart the server.
func (s *server) with(t *testing.T) *server {
	c := *s
	c.t = t
	return &c
}

// log returns the log of the current run so far.
func (s *server) log() string { return s.proc.log.String() }

// logLines returns the lines of s's log that hold every one of texts, once
// there are n of them or after 2 seconds: radiusd's log comes through a
// pipe, a moment after the answer it describes.
func (s *server) logLines(n int, texts ...string) []string {
	deadline := time.Now().Add(2 * time.Second)
	for {
		var lines []string
		for _, l := range strings.Split(s.log(), "\n") {
			if !slices.ContainsFunc(texts, func(x string) bool { return !strings.Contains(l, x) }) {
				lines = append(lines, l)
			}
		}
		if len(lines) >= n || time.Now().After(deadline) {
			return lines
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// restart stops radiusd and starts it again on the same directory and data.
func (s *server) restart() {
	s.t.Helper()
	s.stop()
	s.writeConfig(freePort(s.t))
	s.start()
}

// syncBuffer is a bytes.Buffer safe for a writer goroutine and readers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// hashes caches bcrypt hashes by password.
var hashes sync.Map

// hashPassword returns a bcrypt hash of pw from "radiusd hash-password".
func hashPassword(t *testing.T, pw string) string {
	t.Helper()
	if h, ok := hashes.Load(pw); ok {
		return h.(string)
	}
	res := runRadiusd(t, pw+"\n", "hash-password", "--cost", "4")
	if res.code != 0 {
		t.Fatalf("radiusd hash-password: exit %d: %s", res.code, res.stderr)
	}
	h := strings.TrimSpace(res.stdout)
	hashes.Store(pw, h)
	return h
}

// result is the outcome of one radiusd CLI run.
type result struct {
	stdout, stderr string
	code           int
}

// runRadiusd runs the radiusd binary with args and stdin; its standard
// error joins the logs checked for secrets.
func runRadiusd(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	res := runCommand(t, exec.Command(radiusdBin, args...), stdin)
	logs.add(t.Name()+": radiusd "+args[0], res.stderr) // args may hold a code
	return res
}

// runCommand runs cmd with stdin, bounded to 30 seconds.
func runCommand(t *testing.T, cmd *exec.Cmd, stdin string) result {
	t.Helper()
	var out, errb bytes.Buffer
	cmd.Stdin, cmd.Stdout, cmd.Stderr = strings.NewReader(stdin), &out, &errb
	cmd.WaitDelay = time.Second
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		<-done
		t.Fatalf("%v: no exit within 30s", cmd.Args)
	}
	return result{stdout: out.String(), stderr: errb.String(), code: cmd.ProcessState.ExitCode()}
}

// cli runs "radiusd WORDS --config CONFIG ARGS…", e.g. cli("user show",
// "--json", "alice").
func (s *server) cli(words string, args ...string) result {
	s.t.Helper()
	argv := append(strings.Fields(words), "--config", s.config)
	return runRadiusd(s.t, "", append(argv, args...)...)
}

// mustCLI is cli that fails the test unless radiusd exits 0.
func (s *server) mustCLI(words string, args ...string) string {
	s.t.Helper()
	res := s.cli(words, args...)
	if res.code != 0 {
		s.t.Fatalf("radiusd %s %v: exit %d\nstdout: %s\nstderr: %s", words, args, res.code, res.stdout, res.stderr)
	}
	return res.stdout
}

// nobody is the user and group id that store tests run radiusd as when
// the tests run as root, since root ignores file permissions.
const nobody = 65534

// unprivileged makes cmd run as nobody when the tests run as root.
func unprivileged(cmd *exec.Cmd) {
	if os.Geteuid() == 0 {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobody, Gid: nobody}}
	}
}

// chownForRadiusd gives path to the user radiusd runs as in unprivileged.
func chownForRadiusd(t *testing.T, path string) {
	t.Helper()
	if os.Geteuid() == 0 {
		if err := os.Chown(path, nobody, nobody); err != nil {
			t.Fatal(err)
		}
	}
}

// serveExit runs "radiusd serve" (changed by prepare, if not nil) and
// returns its result if it exits within 5 seconds; exited is false if it
// is still running, and cleanup then stops it.
func (s *server) serveExit(prepare func(*exec.Cmd)) (res result, exited bool) {
	s.t.Helper()
	var out, errb syncBuffer
	cmd := exec.Command(radiusdBin, "serve", "--config", s.config)
	cmd.Stdout, cmd.Stderr = &out, &errb
	if prepare != nil {
		prepare(cmd)
	}
	if err := cmd.Start(); err != nil && cmd.SysProcAttr != nil {
		s.t.Skipf("cannot run radiusd as uid %d here: %v", nobody, err)
	} else if err != nil {
		s.t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); logs.add(s.t.Name()+": radiusd serve", errb.String()); close(done) }()
	select {
	case <-done:
		return result{stdout: out.String(), stderr: errb.String(), code: cmd.ProcessState.ExitCode()}, true
	case <-time.After(5 * time.Second):
		s.proc = &proc{cmd: cmd, log: &errb, exited: done}
		p := s.proc
		s.t.Cleanup(func() { s.stopProc(p) })
		return result{}, false
	}
}
