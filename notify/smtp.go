package notify

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/mail"
	"net/smtp"
	"os"
	"slices"
	"strings"
	"text/template"
	"time"

	"radiusd/secret"
)

// TLS modes of SMTPOptions.TLS.
const (
	TLSStartTLS = "starttls" // plain connection upgraded with STARTTLS (RFC 3207), usually port 587
	TLSImplicit = "tls"      // TLS from the first byte (RFC 8314), usually port 465
	TLSNone     = "none"     // no TLS: only for servers on a loopback address
)

// Default templates of SMTPOptions.Subject and SMTPOptions.Body.
const (
	DefaultSubject = "Your {{with .Issuer}}{{.}} {{end}}code"
	DefaultBody    = "Hello {{.User}},\n\n" +
		"your {{with .Issuer}}{{.}} {{end}}code is {{.Code}}\n\n" +
		"It expires in {{.Lifetime}}. If you did not just try to sign in, do not\n" +
		"give this code to anyone, and tell your administrator.\n"
)

// SMTPOptions configure an SMTP sender.
type SMTPOptions struct {
	// Server is host:port of the submission server ("smtp.example.org:587").
	Server string
	// TLS is TLSStartTLS (the default when ""), TLSImplicit or TLSNone.
	// With TLSStartTLS a server that does not offer STARTTLS is an error,
	// never a fallback to plain text. TLSNone is refused unless Server's
	// host is "localhost" or a loopback address (a local relay, tests).
	TLS string
	// CAFile is a PEM file of the CAs that may sign the server's
	// certificate; "" trusts the system roots. Certificates are always
	// verified.
	CAFile string
	// ServerName is the name the certificate must hold; "" uses Server's
	// host.
	ServerName string
	// HeloName is the name sent with EHLO; "" sends "localhost".
	HeloName string
	// Username and Password log in with AUTH PLAIN (RFC 4616), or AUTH
	// LOGIN when the server offers only that, only ever over TLS; ""
	// sends no AUTH.
	Username string
	Password secret.Value
	// From is the sender, a bare address or "Name <address>"; it is used
	// for the envelope (MAIL FROM) and the From header.
	From string
	// Subject and Body are text/template templates over Message;
	// "" uses DefaultSubject and DefaultBody. Body must show {{.Code}}.
	Subject, Body string
	// Timeout bounds one whole send, on top of the caller's ctx; 0 means
	// 10 seconds.
	Timeout time.Duration
}

// SMTP sends codes by e-mail through one submission server, opening one
// connection per message. It is safe for concurrent use.
type SMTP struct {
	opts          SMTPOptions
	host          string // Server's host
	tls           *tls.Config
	from          *mail.Address
	subject, body *template.Template
	now           func() time.Time // Date header; tests replace it
	rand          io.Reader        // Message-ID; tests replace it
}

var _ Sender = (*SMTP)(nil)

// NewSMTP checks opts and parses the templates (rendering each once with a
// sample message, so that a template error shows now rather than at the
// first login). It does not connect to the server.
func NewSMTP(opts SMTPOptions) (*SMTP, error) {
	if opts.TLS == "" {
		opts.TLS = TLSStartTLS
	}
	if opts.Timeout == 0 {
		opts.Timeout = defaultTimeout
	}
	s := &SMTP{opts: opts, now: time.Now, rand: rand.Reader}
	if err := s.checkOptions(); err != nil {
		return nil, fmt.Errorf("notify: smtp: %w", err)
	}
	if err := s.parseTemplates(); err != nil {
		return nil, fmt.Errorf("notify: smtp: %w", err)
	}
	return s, nil
}

// checkOptions validates the connection options and sets host, tls and
// from.
func (s *SMTP) checkOptions() error {
	o := s.opts
	host, _, err := net.SplitHostPort(o.Server)
	if err != nil || host == "" {
		return fmt.Errorf("server %q is not host:port", o.Server)
	}
	s.host = host
	switch {
	case o.TLS != TLSStartTLS && o.TLS != TLSImplicit && o.TLS != TLSNone:
		return fmt.Errorf("tls %q is not one of starttls, tls, none", o.TLS)
	case o.TLS == TLSNone && !isLoopback(host):
		return fmt.Errorf("tls none is only allowed for a server on a loopback address, not %q", host)
	case o.TLS == TLSNone && o.Username != "":
		return fmt.Errorf("username set with tls none: %w", errPlaintext)
	case o.Username == "" && !o.Password.IsZero():
		return errors.New("password set without username")
	case o.Username != "" && o.Password.IsZero():
		return errors.New("username set without password")
	case hasLineBreak(o.Username) || hasLineBreak(o.HeloName):
		return errors.New("username or helo name has a line break")
	case o.Timeout < 0:
		return fmt.Errorf("timeout %v is negative", o.Timeout)
	}
	if s.from, err = mail.ParseAddress(o.From); err != nil || hasLineBreak(o.From) {
		return fmt.Errorf("from %q is not an e-mail address", o.From)
	}
	name := o.ServerName
	if name == "" {
		name = host
	}
	s.tls, err = tlsConfig(o.CAFile, name)
	return err
}

// parseTemplates parses Subject and Body and renders both with a sample.
func (s *SMTP) parseTemplates() error {
	subject, body := s.opts.Subject, s.opts.Body
	if subject == "" {
		subject = DefaultSubject
	}
	if body == "" {
		body = DefaultBody
	}
	var err error
	if s.subject, err = parseTemplate("subject", subject); err != nil {
		return err
	}
	if s.body, err = parseTemplate("body", body); err != nil {
		return err
	}
	sample := hostile
	sample.To = "alice@example.org"
	if _, err := s.renderSubject(sample); err != nil {
		return err
	}
	_, err = renderSample(s.body, sample, true)
	return err
}

// Channel returns ChannelEmail.
func (s *SMTP) Channel() string { return ChannelEmail }

// Mask returns MaskEmail(to), for a Reply-Message.
func (s *SMTP) Mask(to string) string { return MaskEmail(to) }

// Send delivers m to m.To: it connects, upgrades to TLS (per Options.TLS,
// verifying the certificate), logs in when a Username is set, and submits
// the message. It returns nil once the server accepted the message (250
// after DATA). ctx and Options.Timeout bound the whole exchange: the
// connection is closed when either ends, and the error then wraps
// ctx.Err(). Server replies are reachable with errors.As
// (*textproto.Error) unless they had to be redacted.
func (s *SMTP) Send(ctx context.Context, m Message) error {
	to, msg, err := s.compose(m)
	if err != nil {
		return redact(err, []byte(m.Code))
	}
	ctx, cancel := withTimeout(ctx, s.opts.Timeout)
	defer cancel()
	step, err := s.deliver(ctx, to, msg)
	if err != nil {
		err = fmt.Errorf("notify: smtp: %s: %w", step, cause(ctx, err))
	}
	return redact(err, s.secrets(m.Code)...)
}

// deliver runs one SMTP session on a connection bounded by ctx. On error
// it names the step that failed.
func (s *SMTP) deliver(ctx context.Context, to string, msg []byte) (step string, err error) {
	conn, err := s.dial(ctx)
	if err != nil {
		return "connect", err
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { _ = conn.Close() })
	defer stop()
	if dl, ok := ctx.Deadline(); ok {
		if err := conn.SetDeadline(dl); err != nil {
			return "connect", err
		}
	}
	c, err := smtp.NewClient(conn, s.host)
	if err != nil {
		return "greeting", err
	}
	defer c.Close()
	if step, err := s.login(c); err != nil {
		return step, err
	}
	return s.submit(c, to, msg)
}

// dial connects to the server, with TLS from the first byte in
// TLSImplicit mode (the handshake is bounded by ctx too).
func (s *SMTP) dial(ctx context.Context) (net.Conn, error) {
	d := &net.Dialer{}
	if s.opts.TLS == TLSImplicit {
		return (&tls.Dialer{NetDialer: d, Config: s.tls}).DialContext(ctx, "tcp", s.opts.Server)
	}
	return d.DialContext(ctx, "tcp", s.opts.Server)
}

// login says EHLO, upgrades with STARTTLS when configured and logs in when
// a Username is set.
func (s *SMTP) login(c *smtp.Client) (step string, err error) {
	helo := s.opts.HeloName
	if helo == "" {
		helo = "localhost"
	}
	if err := c.Hello(helo); err != nil {
		return "ehlo", err
	}
	if s.opts.TLS == TLSStartTLS {
		if ok, _ := c.Extension("STARTTLS"); !ok {
			return "starttls", errors.New("server does not offer STARTTLS")
		}
		if err := c.StartTLS(s.tls); err != nil {
			return "starttls", err
		}
	}
	if s.opts.Username != "" {
		if err := c.Auth(&passwordAuth{user: s.opts.Username, pass: s.opts.Password}); err != nil {
			return "auth", err
		}
	}
	return "", nil
}

// submit sends the envelope and the message. A failed QUIT after the
// server accepted the message is no error: the message is on its way.
func (s *SMTP) submit(c *smtp.Client, to string, msg []byte) (step string, err error) {
	if err := c.Mail(s.from.Address); err != nil {
		return "mail from", err
	}
	if err := c.Rcpt(to); err != nil {
		return "rcpt to", err
	}
	w, err := c.Data()
	if err != nil {
		return "data", err
	}
	if _, err := w.Write(msg); err != nil {
		_ = w.Close()
		return "data", err
	}
	if err := w.Close(); err != nil {
		return "data", err
	}
	_ = c.Quit()
	return "", nil
}

// secrets are the byte strings no error may show: the code, the password,
// the password in base64 (AUTH LOGIN) and the AUTH PLAIN response in
// base64.
func (s *SMTP) secrets(code string) [][]byte {
	out := [][]byte{[]byte(code)}
	if pw := s.opts.Password; !pw.IsZero() {
		plain := plainResponse(s.opts.Username, pw)
		out = append(out, pw.Bytes(), []byte(b64(pw.Bytes())), []byte(b64(plain)))
	}
	return out
}

// cause returns ctx's error when ctx has ended (the connection was closed
// under the client, whose own error says little), context.DeadlineExceeded
// when the connection deadline (set from ctx) passed a moment before ctx's
// timer, else err.
func cause(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return context.DeadlineExceeded
	}
	return err
}

// passwordAuth logs in with AUTH PLAIN (RFC 4616) or, when the server
// offers only LOGIN (as Microsoft 365 does), AUTH LOGIN. Unlike net/smtp's
// PlainAuth it refuses to run without TLS even towards localhost, and it
// never converts the password to a string. Use a new value per session.
type passwordAuth struct {
	user string
	pass secret.Value
	mech string // chosen by Start
	step int    // LOGIN challenges answered
}

// Start picks the mechanism; PLAIN sends "\0user\0password" at once.
func (a *passwordAuth) Start(si *smtp.ServerInfo) (string, []byte, error) {
	if !si.TLS {
		return "", nil, errPlaintext
	}
	offers := func(mech string) bool {
		return slices.ContainsFunc(si.Auth, func(m string) bool { return strings.EqualFold(m, mech) })
	}
	switch {
	case offers("PLAIN"):
		a.mech = "PLAIN"
		return a.mech, plainResponse(a.user, a.pass), nil
	case offers("LOGIN"):
		a.mech = "LOGIN"
		return a.mech, nil, nil
	}
	return "", nil, fmt.Errorf("server offers neither AUTH PLAIN nor LOGIN (offers %q)", strings.Join(si.Auth, " "))
}

// Next answers LOGIN's two challenges (user name, then password) and
// refuses any other.
func (a *passwordAuth) Next(_ []byte, more bool) ([]byte, error) {
	if !more {
		return nil, nil
	}
	if a.mech != "LOGIN" || a.step == 2 {
		return nil, fmt.Errorf("unexpected server challenge after AUTH %s", a.mech)
	}
	a.step++
	if a.step == 1 {
		return []byte(a.user), nil
	}
	return a.pass.Bytes(), nil
}

// plainResponse builds the PLAIN initial response "\0user\0password".
func plainResponse(user string, pass secret.Value) []byte {
	resp := make([]byte, 0, 2+len(user)+pass.Len())
	resp = append(resp, 0)
	resp = append(resp, user...)
	resp = append(resp, 0)
	return append(resp, pass.Bytes()...)
}
