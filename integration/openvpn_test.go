//go:build integration

package integration

// OpenVPN end to end, as docs/recipes/openvpn.md describes it: an OpenVPN
// 2.6 server and client on 127.0.0.1 (UDP), the server asking radiusd
// through one of Debian's two RADIUS routes:
//
//   - openvpn-plugin-auth-pam with pam_radius_auth (the recommended one):
//     password+otp, with auth-gen-token so that renegotiations do not send
//     the used-up code again; and challenge mode, the client's
//     static-challenge answer (SCRV1) going to radiusd's Access-Challenge.
//   - radiusplugin (openvpn-auth-radius 2.1), password+otp. The plugin
//     sends no Message-Authenticator, reads at most 4 digits of a port
//     number, takes an Access-Challenge for a reject, and refuses the
//     connection when its Accounting-Request (Start) gets no answer;
//     radiusd does no accounting, so the test answers it (acctSink).
//
// The server needs a tun device (OpenVPN refuses --mode server with --dev
// null), so these tests need root and /dev/net/tun; the device is never
// configured (ifconfig-noexec, route-noexec) and disappears with the
// server. The client uses --dev null.

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"layeh.com/radius"
	"layeh.com/radius/rfc2866"

	"radiusd/internal/testcert"
)

const (
	radiusPluginSO = "/usr/lib/openvpn/radiusplugin.so"
	authPAMGlob    = "/usr/lib/*/openvpn/plugins/openvpn-plugin-auth-pam.so"
	pamRadiusSO    = "/lib/x86_64-linux-gnu/security/pam_radius_auth.so"
	openvpnHint    = "run as root with /dev/net/tun and: apt-get install -y openvpn openvpn-auth-radius libpam-radius-auth"

	vpnUp         = "Initialization Sequence Completed"
	vpnAuthFailed = "AUTH_FAILED"
)

// skipOrFail skips the test with msg, or fails it when
// RADIUSD_INTEGRATION_REQUIRED=1.
func skipOrFail(t *testing.T, msg string) {
	t.Helper()
	if os.Getenv("RADIUSD_INTEGRATION_REQUIRED") == "1" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// requireOpenVPN checks for openvpn, root, /dev/net/tun and the files
// (shell patterns) the test needs.
func requireOpenVPN(t *testing.T, patterns ...string) {
	t.Helper()
	if _, err := exec.LookPath("openvpn"); err != nil {
		skipOrFail(t, "openvpn not found; "+openvpnHint)
	}
	if _, err := os.Stat("/dev/net/tun"); err != nil || os.Geteuid() != 0 {
		skipOrFail(t, "the OpenVPN server needs a tun device; "+openvpnHint)
	}
	for _, p := range patterns {
		if m, _ := filepath.Glob(p); len(m) == 0 {
			skipOrFail(t, p+" not found; "+openvpnHint)
		}
	}
}

// TestOpenVPNRadiusplugin: password+otp through radiusplugin. The user
// types the password with the code appended at OpenVPN's password prompt.
func TestOpenVPNRadiusplugin(t *testing.T) {
	t.Parallel()
	requireOpenVPN(t, radiusPluginSO)
	alice := newUser("alice")
	s := newServer(t, options{mode: "password+otp", users: []user{alice}, noRequireMA: true})
	s.writeConfig(lowPort(t))
	s.start()
	authPort := udpPort(t, s.addr)
	if authPort > 9999 {
		t.Fatalf("radiusd moved to port %d; radiusplugin reads at most 4 digits", authPort)
	}
	acctPort, starts := acctSink(t, s.secret)
	a := s.enroll(alice)
	v := newVPN(t)
	cnf := v.write("radiusplugin.cnf", radiuspluginConf(v.serverConf, authPort, acctPort, s.secret))
	v.startServer("plugin " + radiusPluginSO + " " + cnf)

	code := a.code(t, 0)
	t.Run("password and code", func(t *testing.T) {
		v.expect(t, "alice", a.password+code, vpnUp)
		if starts.Load() == 0 {
			t.Error("no Accounting-Request (Start) reached the accounting server")
		}
	})
	t.Run("replayed code", func(t *testing.T) {
		v.expect(t, "alice", a.password+code, vpnAuthFailed)
		s.with(t).expectReason("replayed_code")
	})
	t.Run("wrong code", func(t *testing.T) {
		v.expect(t, "alice", a.password+a.key.wrongCodes(t, a.base, 1)[0], vpnAuthFailed)
		s.with(t).expectReason("bad_code")
	})
	t.Run("challenge mode is refused", func(t *testing.T) {
		// radiusplugin takes an Access-Challenge for a reject.
		s.opts.mode = "challenge"
		s.writeConfig(s.port())
		s.with(t).hangup("configuration reloaded")
		v.expect(t, "alice", a.password, vpnAuthFailed)
		s.with(t).expectReason("password_ok_challenge")
	})
}

// TestOpenVPNAuthPAM: password+otp through auth-pam and pam_radius_auth,
// the route docs/recipes/openvpn.md recommends. With auth-gen-token the
// server renegotiates with its own token: radiusd is asked once per
// connection, not again with the used-up code at every renegotiation.
func TestOpenVPNAuthPAM(t *testing.T) {
	t.Parallel()
	requireOpenVPN(t, authPAMGlob, pamRadiusSO)
	alice := newUser("alice")
	s := startServer(t, options{mode: "password+otp", users: []user{alice}, noRequireMA: true})
	a := s.enroll(alice)
	v := newVPN(t)
	v.startServer(authPAMPlugin(openvpnPAMService(t, s), false))

	code := a.code(t, 0)
	t.Run("password and code, then renegotiation", func(t *testing.T) {
		c := v.connect(t, "alice", a.password+code, vpnUp, "reneg-sec 2")
		if c.waitFor(15*time.Second, "TLS: soft reset") == "" {
			t.Fatalf("no renegotiation within 15s; client log:\n%s", c.log)
		}
		if v.server.waitFor(10*time.Second, "auth-token authentication succeeded") == "" {
			t.Fatalf("the renegotiation did not use the auth token; server log:\n%s", v.server.log)
		}
		if n := len(s.with(t).logLines(1, "radius decision", "user=alice")); n != 1 {
			t.Errorf("radiusd decided %d requests for alice, want 1 (renegotiation must not ask it)", n)
		}
	})
	t.Run("replayed code", func(t *testing.T) {
		v.expect(t, "alice", a.password+code, vpnAuthFailed)
		s.with(t).expectReason("replayed_code")
	})
}

// TestOpenVPNStaticChallenge: challenge mode through auth-pam and
// pam_radius_auth. An OpenVPN client with static-challenge sends
// "SCRV1:base64(password):base64(code)" as its password; the test writes
// that string into the auth-user-pass file, as the client would build it
// from its two prompts.
func TestOpenVPNStaticChallenge(t *testing.T) {
	t.Parallel()
	requireOpenVPN(t, authPAMGlob, pamRadiusSO)
	alice := newUser("alice")
	s := startServer(t, options{mode: "challenge", users: []user{alice}, noRequireMA: true})
	a := s.enroll(alice)
	v := newVPN(t)
	v.startServer(authPAMPlugin(openvpnPAMService(t, s), true))

	t.Run("password then code", func(t *testing.T) {
		v.expect(t, "alice", scrv1(a.password, a.code(t, 0)), vpnUp)
		s.with(t).expectReason("challenge_code")
	})
	t.Run("wrong code", func(t *testing.T) {
		v.expect(t, "alice", scrv1(a.password, a.key.wrongCodes(t, a.base, 1)[0]), vpnAuthFailed)
		s.with(t).expectReason("bad_code")
	})
	t.Run("no code", func(t *testing.T) {
		v.expect(t, "alice", a.password, vpnAuthFailed)
	})
}

// authPAMPlugin is the server.conf lines of auth-pam for a PAM service:
// PAM's password prompt gets the password, and with otp a prompt starting
// with "Enter" (radiusd's challenge.prompt) gets the static-challenge
// answer. PAM runs in the background (deferred_auth_pam), so a slow
// RADIUS answer does not stall the server.
func authPAMPlugin(service string, otp bool) string {
	names := "login USERNAME password PASSWORD"
	if otp {
		names += " enter OTP"
	}
	return fmt.Sprintf("plugin openvpn-plugin-auth-pam.so \"%s %s\"\nsetenv deferred_auth_pam 1", service, names)
}

// scrv1 is the password an OpenVPN client with static-challenge sends.
func scrv1(password, response string) string {
	enc := base64.StdEncoding.EncodeToString
	return "SCRV1:" + enc([]byte(password)) + ":" + enc([]byte(response))
}

// expectReason waits for a decision line of s's log with the reason.
func (s *server) expectReason(reason string) {
	s.t.Helper()
	if len(s.logLines(1, "user=alice", "reason="+reason)) == 0 {
		s.t.Errorf("no decision with reason=%s in radiusd's log:\n%s", reason, s.log())
	}
}

// openvpnPAMService writes a PAM service that asks s through
// pam_radius_auth (timeout 3 s, above radiusd's 2 s budget) and returns
// its name; cleanup removes it.
func openvpnPAMService(t *testing.T, s *server) string {
	t.Helper()
	conf := s.writeFile("pam_radius_auth.conf", fmt.Sprintf("%s %s 3\n", s.addr, s.secret), 0o600)
	name := "radiusd-openvpn-" + strings.ReplaceAll(s.addr, ":", "-")
	path := filepath.Join("/etc/pam.d", name)
	service := fmt.Sprintf("auth required pam_radius_auth.so conf=%s\naccount required pam_permit.so\n", conf)
	if err := os.WriteFile(path, []byte(service), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Remove(path) })
	return name
}

// ---- radiusplugin ----

// radiuspluginConf is the plugin's config file: radiusd on authPort,
// accounting on acctPort, one request and one retry 5 s apart.
func radiuspluginConf(serverConf string, authPort, acctPort int, secret string) string {
	return fmt.Sprintf(`NAS-Identifier=openvpn
Service-Type=5
Framed-Protocol=1
NAS-Port-Type=5
NAS-IP-Address=127.0.0.1
OpenVPNConfig=%s
subnet=255.255.255.0
server
{
acctport=%d
authport=%d
name=127.0.0.1
retry=1
wait=5
sharedsecret=%s
}
`, serverConf, acctPort, authPort, secret)
}

// lowPort returns a free UDP port below 10000 on 127.0.0.1: radiusplugin
// reads only the first 4 digits of authport and acctport.
func lowPort(t *testing.T) int {
	t.Helper()
	c := lowConn(t)
	defer c.Close()
	return udpPort(t, c.LocalAddr().String())
}

// lowConn listens on a free UDP port between 2000 and 9999 on 127.0.0.1.
func lowConn(t *testing.T) net.PacketConn {
	t.Helper()
	for range 100 {
		c, err := net.ListenPacket("udp", fmt.Sprintf("127.0.0.1:%d", 2000+rand.IntN(8000)))
		if err == nil {
			return c
		}
	}
	t.Fatal("no free UDP port below 10000")
	return nil
}

// udpPort returns the port of addr ("127.0.0.1:port").
func udpPort(t *testing.T, addr string) int {
	t.Helper()
	ua, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	return ua.Port
}

// acctSink answers every Accounting-Request with an Accounting-Response
// (RFC 2866), as the accounting server radiusplugin needs; it returns its
// port and the number of Start requests seen. Cleanup stops it.
func acctSink(t *testing.T, secret string) (int, *atomic.Int32) {
	t.Helper()
	conn := lowConn(t)
	starts := &atomic.Int32{}
	srv := &radius.PacketServer{
		SecretSource: radius.StaticSecretSource([]byte(secret)),
		Handler: radius.HandlerFunc(func(w radius.ResponseWriter, r *radius.Request) {
			if r.Code != radius.CodeAccountingRequest {
				return
			}
			if rfc2866.AcctStatusType_Get(r.Packet) == rfc2866.AcctStatusType_Value_Start {
				starts.Add(1)
			}
			w.Write(r.Response(radius.CodeAccountingResponse))
		}),
	}
	go srv.Serve(conn)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	})
	return udpPort(t, conn.LocalAddr().String()), starts
}

// ---- OpenVPN server and client ----

// vpn is one OpenVPN server on 127.0.0.1 and the files of its clients.
type vpn struct {
	t          *testing.T
	dir        string
	serverConf string // path of server.conf
	pki        testcert.Files
	port       int
	server     *ovpnProc
}

// newVPN makes a directory with a CA and a server certificate for
// 127.0.0.1.
func newVPN(t *testing.T) *vpn {
	t.Helper()
	v := &vpn{t: t, dir: t.TempDir()}
	v.serverConf = filepath.Join(v.dir, "server.conf")
	pki, err := testcert.Write(v.dir, "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	v.pki = pki
	return v
}

// write writes name into v's directory (mode 0600) and returns its path.
func (v *vpn) write(name, text string) string {
	v.t.Helper()
	p := filepath.Join(v.dir, name)
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		v.t.Fatal(err)
	}
	return p
}

// serverConfig is server.conf with the given plugin line. The tun device
// gets a unique name and is never configured.
func (v *vpn) serverConfig(plugin string) string {
	return fmt.Sprintf(`port %d
proto udp4
local 127.0.0.1
dev rdovpn%04x
dev-type tun
disable-dco
ifconfig-noexec
route-noexec
topology subnet
server 10.254.77.0 255.255.255.0
ca %s
cert %s
key %s
dh none
verify-client-cert none
username-as-common-name
auth-gen-token 43200
%s
verb 3
`, v.port, rand.IntN(0x10000), v.pki.CA, v.pki.Cert, v.pki.Key, plugin)
}

// startServer writes server.conf and starts the server, with another port
// if the one picked was taken in the meantime.
func (v *vpn) startServer(plugin string) {
	v.t.Helper()
	for range 3 {
		v.port = freePort(v.t)
		v.write("server.conf", v.serverConfig(plugin))
		v.server = startOpenVPN(v.t, "server", v.serverConf)
		if v.server.waitFor(15*time.Second, vpnUp) == vpnUp {
			return
		}
		v.server.stop()
		log := v.server.log.String()
		if strings.Contains(log, "TUNSETIFF") || strings.Contains(log, "Cannot open TUN/TAP") {
			skipOrFail(v.t, "the OpenVPN server cannot open a tun device here; "+openvpnHint+"\n"+log)
		}
		if !strings.Contains(log, "Address already in use") {
			v.t.Fatalf("the OpenVPN server did not start; log:\n%s", log)
		}
	}
	v.t.Fatal("the OpenVPN server found no free port in 3 attempts")
}

// clientConfig is the client's config: --dev null, and the pushed
// ifconfig and routes ignored, so that it needs no tun device.
func (v *vpn) clientConfig(creds string) string {
	return fmt.Sprintf(`client
dev null
proto udp4
remote 127.0.0.1 %d
nobind
ca %s
remote-cert-tls server
verify-x509-name 127.0.0.1 name
auth-user-pass %s
auth-nocache
auth-retry none
pull-filter ignore "ifconfig"
pull-filter ignore "route"
verb 3
`, v.port, v.pki.CA, creds)
}

// expect connects a client with the user name and password of its
// auth-user-pass file, checks that its log reaches want (vpnUp or
// vpnAuthFailed) within 20 seconds, and stops it.
func (v *vpn) expect(t *testing.T, name, password, want string) {
	t.Helper()
	v.connect(t, name, password, want).stop()
}

// connect starts a client as expect does, with extra config lines, and
// returns it running once its log reaches want; cleanup stops it.
func (v *vpn) connect(t *testing.T, name, password, want string, extra ...string) *ovpnProc {
	t.Helper()
	creds := v.write("creds", name+"\n"+password+"\n")
	conf := v.write("client.conf", v.clientConfig(creds)+strings.Join(extra, "\n")+"\n")
	c := startOpenVPN(t, "client", conf)
	if got := c.waitFor(20*time.Second, vpnUp, vpnAuthFailed); got != want {
		c.stop()
		t.Fatalf("OpenVPN client: got %q, want %q; client log:\n%s\nserver log:\n%s", got, want, c.log, v.server.log)
	}
	return c
}

// ovpnProc is one running openvpn.
type ovpnProc struct {
	t      *testing.T
	name   string
	cmd    *exec.Cmd
	log    *syncBuffer
	exited chan struct{}
	once   sync.Once
}

// startOpenVPN runs "openvpn --config conf" in its own process group;
// cleanup stops it.
func startOpenVPN(t *testing.T, name, conf string) *ovpnProc {
	t.Helper()
	p := &ovpnProc{t: t, name: name, log: &syncBuffer{}, exited: make(chan struct{})}
	p.cmd = exec.Command("openvpn", "--config", conf)
	p.cmd.Stdout, p.cmd.Stderr = p.log, p.log
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.cmd.Wait(); close(p.exited) }()
	t.Cleanup(p.stop)
	return p
}

// waitFor polls the log until it holds one of texts and returns that text;
// it returns "" when the process exits or limit passes first.
func (p *ovpnProc) waitFor(limit time.Duration, texts ...string) string {
	deadline := time.Now().Add(limit)
	for {
		log := p.log.String()
		for _, x := range texts {
			if strings.Contains(log, x) {
				return x
			}
		}
		select {
		case <-p.exited:
			return ""
		default:
		}
		if time.Now().After(deadline) {
			return ""
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stop sends SIGTERM, then SIGKILL to the process group after 5 seconds,
// and at the end SIGKILL to whatever is left of the group: radiusplugin's
// background processes, which outlive a killed openvpn.
func (p *ovpnProc) stop() {
	p.once.Do(func() {
		pid := p.cmd.Process.Pid
		if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
			p.t.Errorf("SIGTERM openvpn %s: %v", p.name, err)
		}
		select {
		case <-p.exited:
		case <-time.After(5 * time.Second):
			p.t.Logf("openvpn %s did not exit within 5s of SIGTERM; killing it", p.name)
			_ = syscall.Kill(-pid, syscall.SIGKILL)
			<-p.exited
		}
		_ = syscall.Kill(-pid, syscall.SIGKILL)
	})
}
