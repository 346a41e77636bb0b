package smtptest

import (
	"crypto/tls"
	"crypto/x509"
	"net/smtp"
	"os"
	"strings"
	"testing"
)

// send submits one message with net/smtp: STARTTLS and AUTH when the
// server offers them.
func send(t *testing.T, s *Server, body string) error {
	t.Helper()
	c, err := smtp.Dial(s.Addr)
	if err != nil {
		return err
	}
	defer c.Close()
	if ok, _ := c.Extension("STARTTLS"); ok {
		pem, err := os.ReadFile(s.CAFile)
		if err != nil {
			t.Fatal(err)
		}
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(pem)
		if err := c.StartTLS(&tls.Config{RootCAs: pool, ServerName: s.Host}); err != nil {
			return err
		}
	}
	if s.Username != "" {
		if err := c.Auth(smtp.PlainAuth("", s.Username, s.Password, s.Host)); err != nil {
			return err
		}
	}
	if err := c.Mail("from@example.org"); err != nil {
		return err
	}
	if err := c.Rcpt("to@example.org"); err != nil {
		return err
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write([]byte("Subject: hi\r\n\r\n" + body + "\r\n")); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	return c.Quit()
}

func TestServer(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts Options
		tls  bool
	}{
		{name: "plain", opts: Options{TLS: TLSNone, NoAuth: true}},
		{name: "starttls with auth", opts: Options{}, tls: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := Start(t, tc.opts)
			if err := send(t, s, "one\r\n.dot"); err != nil {
				t.Fatal(err)
			}
			msgs := s.Messages(t)
			if len(msgs) != 1 {
				t.Fatalf("got %d messages, want 1", len(msgs))
			}
			m := msgs[0]
			if m.From != "from@example.org" || len(m.To) != 1 || m.To[0] != "to@example.org" ||
				m.TLS != tc.tls || m.AuthUser != s.Username || (s.Username != "") != (m.AuthMech == "PLAIN") || m.Header.Get("Subject") != "hi" {
				t.Errorf("got %+v", m)
			}
			if !strings.Contains(m.Body, "one\r\n.dot") {
				t.Errorf("body %q", m.Body)
			}
		})
	}
}

func TestStopStart(t *testing.T) {
	s := Start(t, Options{TLS: TLSNone, NoAuth: true})
	addr := s.Addr
	s.Stop(t)
	if err := send(t, s, "x"); err == nil {
		t.Fatal("sent to a stopped server")
	}
	s.Start(t)
	if s.Addr != addr {
		t.Fatalf("restarted on %s, want %s", s.Addr, addr)
	}
	if err := send(t, s, "x"); err != nil {
		t.Fatal(err)
	}
	if err := send(t, s, "y"); err != nil {
		t.Fatal(err)
	}
	if n := len(s.Messages(t)); n != 2 {
		t.Fatalf("got %d messages, want 2", n)
	}
}
