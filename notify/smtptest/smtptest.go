// Package smtptest starts a real SMTP server for one test: Python's
// aiosmtpd (Debian package python3-aiosmtpd) on a free 127.0.0.1 port, with
// STARTTLS or implicit TLS from a CA made by the test (internal/testcert)
// and AUTH PLAIN/LOGIN with fixed credentials. Each message the server
// accepts is kept in the test's temporary folder, where Messages reads it
// back with its envelope. The server is stopped by t.Cleanup.
//
// When aiosmtpd is not installed, Start skips the test with an install
// hint, unless RADIUSD_INTEGRATION_REQUIRED=1 (then it fails).
//
// It is test tooling: product packages must never import it. It imports
// the standard library and internal/testcert only; it must never import
// notify (notify's own tests use it) or any other radiusd package.
package smtptest

import (
	"cmp"
	_ "embed"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"radiusd/internal/testcert"
)

// TLS modes of Options.TLS.
const (
	TLSStartTLS = "starttls"
	TLSImplicit = "tls"
	TLSNone     = "none"
)

// Default credentials, used when Options.Username is "" and
// Options.NoAuth is false.
const (
	Username = "mailer"
	Password = "smtp-test-password"
)

// startTimeout bounds how long a start may take before the test fails.
const startTimeout = 15 * time.Second

//go:embed server.py
var serverPy []byte

// Options say how the server listens.
type Options struct {
	// TLS is TLSStartTLS (the default when ""), TLSImplicit or TLSNone.
	TLS string
	// Username and Password are the credentials AUTH accepts (PLAIN and
	// LOGIN, only over TLS); "" means Username and Password.
	Username, Password string
	// NoAuth turns AUTH off: the server then accepts mail without login.
	NoAuth bool
	// ExcludeAuth lists AUTH mechanisms the server must not offer, for
	// example "PLAIN" to test a client's LOGIN fallback.
	ExcludeAuth []string
}

// Server is an aiosmtpd started for one test. Its methods are meant for
// the test goroutine (they are not synchronised).
type Server struct {
	Addr     string // 127.0.0.1:PORT
	Host     string // 127.0.0.1
	Port     int
	TLS      string // the mode it runs in
	CAFile   string // PEM of the test CA that signed the server certificate (127.0.0.1, ::1, localhost)
	Username string // accepted AUTH user; "" with Options.NoAuth
	Password string // accepted AUTH password; "" with Options.NoAuth
	Dir      string // the server's folder: config, log, mail/
	PID      int    // process id of the running server; 0 when stopped

	python string
	config map[string]any // written to configPath with the port at each launch
	cmd    *exec.Cmd
	stdin  *os.File      // closing it makes the server exit
	exited chan struct{} // closed when cmd has been waited for
}

// errAddrInUse says that the server could not listen on its port.
var errAddrInUse = errors.New("smtptest: address already in use")

// Start creates and starts an SMTP server for t and registers its Stop
// with t.Cleanup. It skips t with an install hint when python3-aiosmtpd is
// missing, unless RADIUSD_INTEGRATION_REQUIRED=1.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	s := &Server{python: findPython(t), Dir: t.TempDir(), TLS: opts.TLS, Host: "127.0.0.1"}
	if s.TLS == "" {
		s.TLS = TLSStartTLS
	}
	if !opts.NoAuth {
		s.Username, s.Password = cmp.Or(opts.Username, Username), cmp.Or(opts.Password, Password)
	}
	if err := s.prepare(opts.ExcludeAuth); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Stop(t) })
	for attempt := 1; ; attempt++ {
		port, err := freePort()
		if err != nil {
			t.Fatal(err)
		}
		s.Port, s.Addr = port, net.JoinHostPort(s.Host, strconv.Itoa(port))
		err = s.launch()
		if err == nil {
			return s
		}
		if !errors.Is(err, errAddrInUse) || attempt == 3 {
			t.Fatal(err)
		}
	}
}

// prepare writes the certificates and the script, and sets s.config.
func (s *Server) prepare(excludeAuth []string) error {
	s.config = map[string]any{
		"host": s.Host, "mode": s.TLS, "mail_dir": s.mailDir(), "exclude_auth": excludeAuth,
		"user": s.Username, "password": s.Password, "cert": "", "key": "",
	}
	switch s.TLS {
	case TLSStartTLS, TLSImplicit:
		f, err := testcert.Write(s.Dir, "127.0.0.1", "::1", "localhost")
		if err != nil {
			return fmt.Errorf("smtptest: %w", err)
		}
		s.CAFile, s.config["cert"], s.config["key"] = f.CA, f.Cert, f.Key
	case TLSNone:
	default:
		return fmt.Errorf("smtptest: unknown TLS mode %q", s.TLS)
	}
	if err := os.Mkdir(s.mailDir(), 0o700); err != nil {
		return fmt.Errorf("smtptest: %w", err)
	}
	if err := os.WriteFile(s.scriptPath(), serverPy, 0o600); err != nil {
		return fmt.Errorf("smtptest: %w", err)
	}
	return nil
}

// Stop kills the server and waits for it to exit. Connections are then
// refused; messages already received stay readable. Stopping a stopped
// server does nothing.
func (s *Server) Stop(t testing.TB) {
	t.Helper()
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	<-s.exited
	_ = s.stdin.Close()
	s.cmd, s.PID = nil, 0
}

// Start starts a stopped server again on the same port, with the same
// certificate, credentials and received messages. It fails t when the
// server is running or does not come up.
func (s *Server) Start(t testing.TB) {
	t.Helper()
	if s.cmd != nil {
		t.Fatal("smtptest: Start: the server is running")
	}
	var err error
	for range 20 { // the old socket may linger a moment
		if err = s.launch(); !errors.Is(err, errAddrInUse) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil {
		t.Fatal(err)
	}
}

func (s *Server) mailDir() string    { return filepath.Join(s.Dir, "mail") }
func (s *Server) configPath() string { return filepath.Join(s.Dir, "smtpd.json") }
func (s *Server) scriptPath() string { return filepath.Join(s.Dir, "smtpd.py") }
func (s *Server) logPath() string    { return filepath.Join(s.Dir, "smtpd.log") }

// freePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("smtptest: free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

var (
	pythonOnce sync.Once
	pythonPath string
)

// findPython returns a python3 that can import aiosmtpd (Debian's
// /usr/bin/python3 first, then python3 on PATH), or skips t.
func findPython(t testing.TB) string {
	t.Helper()
	pythonOnce.Do(func() {
		candidates := []string{"/usr/bin/python3"}
		if p, err := exec.LookPath("python3"); err == nil {
			candidates = append(candidates, p)
		}
		for _, p := range candidates {
			if exec.Command(p, "-c", "import aiosmtpd.smtp").Run() == nil {
				pythonPath = p
				return
			}
		}
	})
	if pythonPath == "" {
		msg := "smtptest: python3 with aiosmtpd not found; install it with: apt-get install -y python3-aiosmtpd"
		if os.Getenv("RADIUSD_INTEGRATION_REQUIRED") == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return pythonPath
}
