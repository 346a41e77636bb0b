package notify

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"mime/quotedprintable"
	"net/mail"
	"strings"
	"testing"
	"time"

	"radiusd/secret"
)

// newTestSMTP returns an SMTP sender with a fixed clock and Message-ID.
func newTestSMTP(t *testing.T, opts SMTPOptions) *SMTP {
	t.Helper()
	if opts.Server == "" {
		opts.Server = "smtp.example.org:587"
	}
	if opts.From == "" {
		opts.From = "Example VPN <noreply@example.org>"
	}
	s, err := NewSMTP(opts)
	if err != nil {
		t.Fatal(err)
	}
	s.now = func() time.Time { return time.Date(2026, 11, 23, 4, 5, 6, 0, time.FixedZone("", 3600)) }
	s.rand = bytes.NewReader(bytes.Repeat([]byte{0xab}, 64))
	return s
}

func TestComposeExact(t *testing.T) {
	s := newTestSMTP(t, SMTPOptions{})
	to, msg, err := s.compose(Message{User: "alice", To: "Alice <alice@example.org>", Code: "012345", Issuer: "Example VPN", Expires: 5 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	want := "Date: Mon, 23 Nov 2026 04:05:06 +0100\r\n" +
		"From: \"Example VPN\" <noreply@example.org>\r\n" +
		"To: <alice@example.org>\r\n" +
		"Subject: Your Example VPN code\r\n" +
		"Message-ID: <abababababababababababababababab@example.org>\r\n" +
		"MIME-Version: 1.0\r\n" +
		"Content-Type: text/plain; charset=utf-8\r\n" +
		"Auto-Submitted: auto-generated\r\n" +
		"Content-Transfer-Encoding: 7bit\r\n" +
		"\r\n" +
		"Hello alice,\r\n\r\n" +
		"your Example VPN code is 012345\r\n\r\n" +
		"It expires in 5 minutes. If you did not just try to sign in, do not\r\n" +
		"give this code to anyone, and tell your administrator.\r\n"
	if to != "alice@example.org" || string(msg) != want {
		t.Fatalf("compose = %q,\n%s\nwant\n%s", to, msg, want)
	}
}

func TestComposeNonASCII(t *testing.T) {
	s := newTestSMTP(t, SMTPOptions{Body: "Grüße {{.User}}: {{.Code}}\nbare\rCR\n" + strings.Repeat("x", 120)})
	_, msg, err := s.compose(Message{User: "jürgen", To: "j@example.org", Code: "123456", Issuer: "Bärlin VPN", Expires: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(bytes.ReplaceAll(msg, []byte("\r\n"), nil), []byte("\n")) || bytes.Contains(bytes.ReplaceAll(msg, []byte("\r\n"), nil), []byte("\r")) {
		t.Errorf("bare CR or LF in %q", msg)
	}
	for line := range strings.Lines(string(msg)) {
		if len(line) > 78 {
			t.Errorf("line of %d bytes: %q", len(line), line)
		}
	}
	pm, err := mail.ReadMessage(bytes.NewReader(msg))
	if err != nil {
		t.Fatal(err)
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(pm.Header.Get("Subject"))
	if err != nil || subject != "Your Bärlin VPN code" || pm.Header.Get("Subject") == subject {
		t.Errorf("subject %q decodes to %q, %v", pm.Header.Get("Subject"), subject, err)
	}
	if cte := pm.Header.Get("Content-Transfer-Encoding"); cte != "quoted-printable" {
		t.Errorf("Content-Transfer-Encoding %q", cte)
	}
	body, _ := io.ReadAll(quotedprintable.NewReader(pm.Body))
	if want := "Grüße jürgen: 123456\r\nbare\r\nCR\r\n" + strings.Repeat("x", 120) + "\r\n"; string(body) != want {
		t.Errorf("body %q, want %q", body, want)
	}
}

func TestComposeRefuses(t *testing.T) {
	ok := Message{User: "alice", To: "alice@example.org", Code: "123456", Issuer: "VPN", Expires: time.Minute}
	for _, tc := range []struct {
		name    string
		subject string
		edit    func(*Message)
		wantErr error
	}{
		{name: "no code", edit: func(m *Message) { m.Code = "" }, wantErr: ErrNoCode},
		{name: "no recipient", edit: func(m *Message) { m.To = "" }, wantErr: ErrRecipient},
		{name: "not an address", edit: func(m *Message) { m.To = "alice" }, wantErr: ErrRecipient},
		{name: "two addresses", edit: func(m *Message) { m.To = "a@example.org, b@example.org" }, wantErr: ErrRecipient},
		{name: "smuggled command", edit: func(m *Message) { m.To = "a@example.org>\r\nRCPT TO:<b@example.org" }, wantErr: ErrRecipient},
		{name: "header injection through the subject", subject: "Code for {{.User}}",
			edit: func(m *Message) { m.User = "x\r\nBcc: evil@example.org" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newTestSMTP(t, SMTPOptions{Subject: tc.subject})
			m := ok
			tc.edit(&m)
			_, msg, err := s.compose(m)
			if err == nil || (tc.wantErr != nil && !errors.Is(err, tc.wantErr)) {
				t.Fatalf("compose = %q, %v; want %v", msg, err, tc.wantErr)
			}
			if !strings.HasPrefix(err.Error(), "notify: smtp: ") || strings.Contains(err.Error(), m.Code) && m.Code != "" {
				t.Errorf("error %q", err)
			}
		})
	}
}

func TestNewSMTPOptions(t *testing.T) {
	pw := secret.New([]byte("opt-secret-pw"))
	dir := t.TempDir()
	for _, tc := range []struct {
		name    string
		opts    SMTPOptions
		wantErr string // "" for success
	}{
		{name: "defaults", opts: SMTPOptions{Server: "smtp.example.org:587", From: "noreply@example.org"}},
		{name: "implicit TLS with auth", opts: SMTPOptions{Server: "smtp.example.org:465", TLS: "tls", Username: "u", Password: pw, From: "noreply@example.org"}},
		{name: "none on 127.0.0.1", opts: SMTPOptions{Server: "127.0.0.1:25", TLS: "none", From: "noreply@example.org"}},
		{name: "none on ::1", opts: SMTPOptions{Server: "[::1]:25", TLS: "none", From: "noreply@example.org"}},
		{name: "none on localhost", opts: SMTPOptions{Server: "localhost:25", TLS: "none", From: "noreply@example.org"}},
		{name: "no port", opts: SMTPOptions{Server: "smtp.example.org", From: "noreply@example.org"}, wantErr: "not host:port"},
		{name: "unknown TLS mode", opts: SMTPOptions{Server: "smtp.example.org:25", TLS: "ssl", From: "noreply@example.org"}, wantErr: "not one of"},
		{name: "none on a remote host", opts: SMTPOptions{Server: "smtp.example.org:25", TLS: "none", From: "noreply@example.org"}, wantErr: "loopback"},
		{name: "none on 127.0.0.1.example.org", opts: SMTPOptions{Server: "127.0.0.1.example.org:25", TLS: "none", From: "noreply@example.org"}, wantErr: "loopback"},
		{name: "auth without TLS", opts: SMTPOptions{Server: "127.0.0.1:25", TLS: "none", Username: "u", Password: pw, From: "noreply@example.org"}, wantErr: "only sent over TLS"},
		{name: "password without user", opts: SMTPOptions{Server: "smtp.example.org:587", Password: pw, From: "noreply@example.org"}, wantErr: "without username"},
		{name: "user without password", opts: SMTPOptions{Server: "smtp.example.org:587", Username: "u", From: "noreply@example.org"}, wantErr: "without password"},
		{name: "no from", opts: SMTPOptions{Server: "smtp.example.org:587"}, wantErr: "from"},
		{name: "from with a line break", opts: SMTPOptions{Server: "smtp.example.org:587", From: "a@example.org\r\nBcc: b@example.org"}, wantErr: "from"},
		{name: "missing CA file", opts: SMTPOptions{Server: "smtp.example.org:587", From: "a@example.org", CAFile: dir + "/none.pem"}, wantErr: "ca file"},
		{name: "CA file without PEM", opts: SMTPOptions{Server: "smtp.example.org:587", From: "a@example.org", CAFile: writeFile(t, dir, "x.pem", "junk")}, wantErr: "no PEM"},
		{name: "subject does not parse", opts: SMTPOptions{Server: "smtp.example.org:587", From: "a@example.org", Subject: "{{.Code"}, wantErr: "subject template"},
		{name: "unknown field", opts: SMTPOptions{Server: "smtp.example.org:587", From: "a@example.org", Body: "{{.Code}} {{.Nope}}"}, wantErr: "body template"},
		{name: "body without code", opts: SMTPOptions{Server: "smtp.example.org:587", From: "a@example.org", Body: "Hello {{.User}}"}, wantErr: "does not show the code"},
		{name: "subject with a line break", opts: SMTPOptions{Server: "smtp.example.org:587", From: "a@example.org", Subject: "a\nb"}, wantErr: "line break"},
		{name: "negative timeout", opts: SMTPOptions{Server: "smtp.example.org:587", From: "a@example.org", Timeout: -1}, wantErr: "negative"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewSMTP(tc.opts)
			if err != nil {
				assertNoSecrets(t, err, "opt-secret-pw")
			}
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatal(err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr) || !strings.HasPrefix(err.Error(), "notify: smtp: ")):
				t.Fatalf("err = %v, want one containing %q", err, tc.wantErr)
			}
		})
	}
}

func TestMessagePrintsNoCode(t *testing.T) {
	m := Message{User: "alice", To: "alice@example.org", Code: "918273"}
	var logs strings.Builder
	slogText(&logs).Info("send", "msg", m)
	for _, s := range []string{m.String(), m.GoString(), logs.String()} {
		if strings.Contains(s, m.Code) || strings.Contains(s, "alice@example.org") {
			t.Errorf("printed %q", s)
		}
	}
}

func TestLifetime(t *testing.T) {
	for _, tc := range []struct {
		d       time.Duration
		minutes int
		words   string
	}{
		{45 * time.Second, 1, "45 seconds"},
		{time.Minute, 1, "1 minute"},
		{90 * time.Second, 2, "2 minutes"},
		{10 * time.Minute, 10, "10 minutes"},
	} {
		t.Run(tc.d.String(), func(t *testing.T) {
			m := Message{Expires: tc.d}
			if m.Minutes() != tc.minutes || m.Lifetime() != tc.words {
				t.Errorf("Minutes %d, Lifetime %q; want %d, %q", m.Minutes(), m.Lifetime(), tc.minutes, tc.words)
			}
		})
	}
}
