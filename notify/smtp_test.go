package notify

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"mime"
	"net"
	"net/textproto"
	"strings"
	"testing"
	"time"

	"radiusd/notify/smtptest"
	"radiusd/secret"
)

var mailMessage = Message{User: "alice", To: "alice@example.org", Code: "918273", Issuer: "Example VPN", Expires: 5 * time.Minute}

// smtpFor returns a sender for srv with opts' other fields.
func smtpFor(t *testing.T, srv *smtptest.Server, opts SMTPOptions) *SMTP {
	t.Helper()
	opts.Server = srv.Addr
	if opts.TLS == "" {
		opts.TLS = srv.TLS
	}
	if opts.CAFile == "" {
		opts.CAFile = srv.CAFile
	}
	if opts.Username == "" && srv.Username != "" {
		opts.Username, opts.Password = srv.Username, secret.New([]byte(srv.Password))
	}
	if opts.From == "" {
		opts.From = "Example VPN <noreply@example.org>"
	}
	s, err := NewSMTP(opts)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSMTPDelivers(t *testing.T) {
	for _, tc := range []struct {
		name     string
		server   smtptest.Options
		wantTLS  bool
		wantMech string
	}{
		{name: "starttls with auth", server: smtptest.Options{TLS: smtptest.TLSStartTLS}, wantTLS: true, wantMech: "PLAIN"},
		{name: "implicit tls with auth", server: smtptest.Options{TLS: smtptest.TLSImplicit}, wantTLS: true, wantMech: "PLAIN"},
		{name: "auth login only", server: smtptest.Options{ExcludeAuth: []string{"PLAIN"}}, wantTLS: true, wantMech: "LOGIN"},
		{name: "starttls without auth", server: smtptest.Options{TLS: smtptest.TLSStartTLS, NoAuth: true}, wantTLS: true},
		{name: "plain on loopback", server: smtptest.Options{TLS: smtptest.TLSNone, NoAuth: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := smtptest.Start(t, tc.server)
			s := smtpFor(t, srv, SMTPOptions{})
			if err := s.Send(t.Context(), mailMessage); err != nil {
				t.Fatal(err)
			}
			msgs := srv.Messages(t)
			if len(msgs) != 1 {
				t.Fatalf("%d messages arrived, want 1", len(msgs))
			}
			checkArrived(t, msgs[0], srv.Username, tc.wantTLS)
			if msgs[0].AuthMech != tc.wantMech {
				t.Errorf("AUTH %q, want %q", msgs[0].AuthMech, tc.wantMech)
			}
		})
	}
}

// checkArrived checks the envelope, the headers and the body of a message
// sent for mailMessage.
func checkArrived(t *testing.T, m smtptest.Message, user string, wantTLS bool) {
	t.Helper()
	if m.From != "noreply@example.org" || len(m.To) != 1 || m.To[0] != "alice@example.org" || m.TLS != wantTLS || m.AuthUser != user {
		t.Errorf("envelope from %q to %q, tls %v, user %q", m.From, m.To, m.TLS, m.AuthUser)
	}
	h := m.Header
	for name, want := range map[string]string{
		"From": `"Example VPN" <noreply@example.org>`, "To": "<alice@example.org>", "Subject": "Your Example VPN code",
		"Mime-Version": "1.0", "Content-Type": "text/plain; charset=utf-8",
	} {
		if got := h.Get(name); got != want {
			t.Errorf("%s: %q, want %q", name, got, want)
		}
	}
	if d, err := h.Date(); err != nil || time.Since(d).Abs() > time.Hour {
		t.Errorf("Date %q: %v", h.Get("Date"), err)
	}
	if id := h.Get("Message-Id"); !strings.HasPrefix(id, "<") || !strings.HasSuffix(id, "@example.org>") {
		t.Errorf("Message-ID %q", id)
	}
	if !strings.Contains(m.Body, "your Example VPN code is 918273\r\n") || !strings.Contains(m.Body, "5 minutes") {
		t.Errorf("body %q", m.Body)
	}
}

func TestSMTPNonASCIIAndDots(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{TLS: smtptest.TLSNone, NoAuth: true})
	s := smtpFor(t, srv, SMTPOptions{Subject: "Dein {{.Issuer}}-Code", Body: "Hallo {{.User}},\n.\n..{{.Code}}\n"})
	m := mailMessage
	m.User, m.Issuer = "jürgen", "Bärlin VPN"
	if err := s.Send(t.Context(), m); err != nil {
		t.Fatal(err)
	}
	got := srv.Messages(t)[0]
	subject, err := new(mime.WordDecoder).DecodeHeader(got.Header.Get("Subject"))
	if err != nil || subject != "Dein Bärlin VPN-Code" {
		t.Errorf("subject %q → %q, %v", got.Header.Get("Subject"), subject, err)
	}
	if want := "Hallo jürgen,\r\n.\r\n..918273\r\n"; got.Body != want {
		t.Errorf("body %q, want %q", got.Body, want)
	}
}

func TestSMTPFails(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{TLS: smtptest.TLSStartTLS})
	plain := smtptest.Start(t, smtptest.Options{TLS: smtptest.TLSNone, NoAuth: true})
	otherCA := smtptest.Start(t, smtptest.Options{TLS: smtptest.TLSImplicit}).CAFile
	for _, tc := range []struct {
		name   string
		sender func(t *testing.T) *SMTP
		check  func(t *testing.T, err error)
	}{
		{
			name:   "wrong CA",
			sender: func(t *testing.T) *SMTP { return smtpFor(t, srv, SMTPOptions{CAFile: otherCA}) },
			check:  wantAs[x509.UnknownAuthorityError],
		},
		{
			name:   "wrong server name",
			sender: func(t *testing.T) *SMTP { return smtpFor(t, srv, SMTPOptions{ServerName: "mail.example.org"}) },
			check:  wantAs[x509.HostnameError],
		},
		{
			name: "wrong password",
			sender: func(t *testing.T) *SMTP {
				return smtpFor(t, srv, SMTPOptions{Username: srv.Username, Password: secret.New([]byte("wrong-password-42"))})
			},
			check: func(t *testing.T, err error) {
				var te *textproto.Error
				if !errors.As(err, &te) || te.Code != 535 || !strings.Contains(err.Error(), "notify: smtp: auth: ") {
					t.Errorf("err = %v, want a 535 at auth", err)
				}
				assertNoSecrets(t, err, "wrong-password-42")
			},
		},
		{
			name:   "no STARTTLS offered",
			sender: func(t *testing.T) *SMTP { return smtpFor(t, plain, SMTPOptions{TLS: TLSStartTLS}) },
			check:  wantText("notify: smtp: starttls: server does not offer STARTTLS"),
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.sender(t).Send(t.Context(), mailMessage)
			if err == nil {
				t.Fatal("sent")
			}
			tc.check(t, err)
			assertNoSecrets(t, err, mailMessage.Code, srv.Password)
		})
	}
	if n := len(srv.Messages(t)) + len(plain.Messages(t)); n != 0 {
		t.Errorf("%d messages arrived", n)
	}
}

func TestSMTPServerDown(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{TLS: smtptest.TLSStartTLS})
	s := smtpFor(t, srv, SMTPOptions{})
	srv.Stop(t)
	start := time.Now()
	err := s.Send(t.Context(), mailMessage)
	if err == nil || !strings.HasPrefix(err.Error(), "notify: smtp: connect: ") || time.Since(start) > time.Second {
		t.Fatalf("err = %v after %v, want a quick connect error", err, time.Since(start))
	}
	srv.Start(t)
	if err := s.Send(t.Context(), mailMessage); err != nil {
		t.Fatalf("after restart: %v", err)
	}
}

// TestSMTPDeadline sends to a server that accepts connections and never
// answers: Send must return when ctx or Options.Timeout ends.
func TestSMTPDeadline(t *testing.T) {
	addr := silentServer(t)
	for _, tc := range []struct {
		name        string
		tls         string
		ctxTimeout  time.Duration
		optsTimeout time.Duration
		wantStep    string
	}{
		{name: "greeting, caller's deadline", tls: TLSNone, ctxTimeout: 200 * time.Millisecond, wantStep: "greeting"},
		{name: "greeting, sender's timeout", tls: TLSNone, optsTimeout: 200 * time.Millisecond, wantStep: "greeting"},
		{name: "implicit TLS handshake", tls: TLSImplicit, ctxTimeout: 200 * time.Millisecond, wantStep: "connect"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := NewSMTP(SMTPOptions{Server: addr, TLS: tc.tls, From: "noreply@example.org", Timeout: tc.optsTimeout})
			if err != nil {
				t.Fatal(err)
			}
			ctx := t.Context()
			if tc.ctxTimeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tc.ctxTimeout)
				defer cancel()
			}
			start := time.Now()
			err = s.Send(ctx, mailMessage)
			if elapsed := time.Since(start); elapsed > 2*time.Second {
				t.Errorf("Send took %v", elapsed)
			}
			if !errors.Is(err, context.DeadlineExceeded) || !strings.HasPrefix(err.Error(), "notify: smtp: "+tc.wantStep+": ") {
				t.Fatalf("err = %v, want deadline exceeded at %s", err, tc.wantStep)
			}
		})
	}
	t.Run("canceled", func(t *testing.T) {
		s, err := NewSMTP(SMTPOptions{Server: addr, TLS: TLSNone, From: "noreply@example.org"})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(t.Context())
		time.AfterFunc(100*time.Millisecond, cancel)
		if err := s.Send(ctx, mailMessage); !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want canceled", err)
		}
	})
}

// TestSMTPRedactsEchoes talks to a server that echoes the AUTH response
// and the message in its error replies: neither the password nor the code
// may reach the error.
func TestSMTPRedactsEchoes(t *testing.T) {
	for _, tc := range []struct {
		name string
		auth bool
	}{
		{name: "auth echoed", auth: true},
		{name: "message echoed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			addr, ca := echoServer(t)
			opts := SMTPOptions{Server: addr, TLS: TLSImplicit, CAFile: ca, From: "noreply@example.org"}
			if tc.auth {
				opts.Username, opts.Password = "mailer", secret.New([]byte("echoed-password"))
			}
			err := newSMTP(t, opts).Send(t.Context(), mailMessage)
			if err == nil || !strings.Contains(err.Error(), "[redacted]") {
				t.Fatalf("err = %v, want a redacted server reply", err)
			}
			assertNoSecrets(t, err, mailMessage.Code, "echoed-password", b64([]byte("\x00mailer\x00echoed-password")))
		})
	}
}

func newSMTP(t *testing.T, opts SMTPOptions) *SMTP {
	t.Helper()
	s, err := NewSMTP(opts)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// silentServer accepts connections on 127.0.0.1 and never writes.
func silentServer(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		var conns []net.Conn
		defer func() {
			for _, c := range conns {
				c.Close()
			}
		}()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
		}
	}()
	return l.Addr().String()
}

// wantAs returns a check that err holds an E.
func wantAs[E error](t *testing.T, err error) {
	t.Helper()
	var target E
	if !errors.As(err, &target) {
		t.Errorf("err = %v, want a %T", err, target)
	}
}

// wantText returns a check that err's text is want.
func wantText(want string) func(*testing.T, error) {
	return func(t *testing.T, err error) {
		t.Helper()
		if err.Error() != want {
			t.Errorf("err = %q, want %q", err, want)
		}
	}
}

func TestRedact(t *testing.T) {
	base := fmt.Errorf("notify: smtp: data: 554 echo 918273 and AHVzZXIAcHc=: %w", context.DeadlineExceeded)
	err := redact(base, []byte("918273"), nil, []byte("AHVzZXIAcHc="))
	if want := "notify: smtp: data: 554 echo [redacted] and [redacted]: context deadline exceeded"; err.Error() != want {
		t.Errorf("text %q, want %q", err, want)
	}
	if !errors.Is(err, context.DeadlineExceeded) || errors.Unwrap(err) != nil {
		t.Error("redacted error must match with errors.Is and not unwrap")
	}
	if clean := errors.New("clean"); redact(clean, []byte("918273")) != clean || redact(nil, []byte("x")) != nil {
		t.Error("clean errors must come back as they are")
	}
	if p := secretParts([]byte("Bearer s3cr3t-t0ken")); len(p) != 3 || string(p[2]) != "s3cr3t-t0ken" {
		t.Errorf("secretParts = %q", p)
	}
}
