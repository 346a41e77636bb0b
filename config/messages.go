package config

import (
	"net"
	"net/url"
	"strings"
	"text/template"
	"time"
)

// Messages configures one-time codes sent by e-mail or SMS to users whose
// method is email or sms (per user, or by group here).
type Messages struct {
	CodeDigits     int           `yaml:"code_digits"`     // 6 to 8
	CodeLifetime   time.Duration `yaml:"code_lifetime"`   // how long a sent code stays valid
	ResendInterval time.Duration `yaml:"resend_interval"` // least time between two sends to one user
	SendTimeout    time.Duration `yaml:"send_timeout"`    // bound on one send, inside radius.request_timeout
	EmailGroups    []string      `yaml:"email_groups"`    // members get codes by e-mail unless set per user
	SMSGroups      []string      `yaml:"sms_groups"`      // members get codes by SMS unless set per user
	Email          Email         `yaml:"email"`
	SMS            SMS           `yaml:"sms"`
}

// Email configures the SMTP server codes are sent through.
type Email struct {
	Server       string `yaml:"server"`        // host:port; "" disables e-mail
	TLS          string `yaml:"tls"`           // starttls | tls | none (loopback only)
	CAFile       string `yaml:"ca_file"`       // PEM bundle; "" = system roots
	Username     string `yaml:"username"`      // SMTP AUTH user; "" = no AUTH
	PasswordFile string `yaml:"password_file"` // its password, one line
	From         string `yaml:"from"`
	Subject      string `yaml:"subject"` // text/template; "" = the built-in one
	Body         string `yaml:"body"`    // text/template; "" = the built-in one
	// Password is read from PasswordFile by Parse.
	Password Secret `yaml:"-"`
}

// SMS configures the HTTP API of an SMS provider.
type SMS struct {
	URL           string            `yaml:"url"` // "" disables SMS
	Method        string            `yaml:"method"`
	Headers       map[string]string `yaml:"headers"`
	SecretHeader  string            `yaml:"secret_header"` // header whose value comes from secret_file
	SecretFile    string            `yaml:"secret_file"`
	Format        string            `yaml:"format"` // form | json
	Body          string            `yaml:"body"`   // text/template
	CAFile        string            `yaml:"ca_file"`
	SuccessStatus []int             `yaml:"success_status"`
	// Secret is read from SecretFile by Parse.
	Secret Secret `yaml:"-"`
}

// Enabled reports whether an SMTP server is configured.
func (e Email) Enabled() bool { return e.Server != "" }

// Enabled reports whether an SMS provider is configured.
func (s SMS) Enabled() bool { return s.URL != "" }

var (
	emailTLSModes = []string{"starttls", "tls", "none"}
	smsFormats    = []string{"form", "json"}
	httpMethods   = []string{"POST", "PUT", "PATCH"}
)

func (c *Config) validateMessages(p *problems) {
	m := c.Messages
	p.between("messages.code_digits", m.CodeDigits, 6, 8)
	p.durationBetween("messages.code_lifetime", m.CodeLifetime, 30*time.Second, time.Hour, "30s and 1h")
	if m.ResendInterval < 0 || m.ResendInterval > time.Hour {
		p.add("messages.resend_interval", "%s is not between 0s and 1h", m.ResendInterval)
	}
	if (m.Email.Enabled() || m.SMS.Enabled()) && (m.SendTimeout <= 0 || m.SendTimeout >= c.RADIUS.RequestTimeout) {
		p.add("messages.send_timeout", "%s must be more than 0s and less than radius.request_timeout (%s)", m.SendTimeout, c.RADIUS.RequestTimeout)
	}
	if len(m.EmailGroups) > 0 && !m.Email.Enabled() {
		p.add("messages.email_groups", "needs messages.email.server")
	}
	if len(m.SMSGroups) > 0 && !m.SMS.Enabled() {
		p.add("messages.sms_groups", "needs messages.sms.url")
	}
	if m.Email.Enabled() {
		validateEmail(p, m.Email)
	}
	if m.SMS.Enabled() {
		validateSMS(p, m.SMS)
	}
}

func validateEmail(p *problems, e Email) {
	host, _, err := net.SplitHostPort(e.Server)
	if err != nil || host == "" {
		p.add("messages.email.server", "%q is not host:port", e.Server)
	}
	p.oneOf("messages.email.tls", e.TLS, emailTLSModes)
	if ip := net.ParseIP(host); e.TLS == "none" && (ip == nil || !ip.IsLoopback()) && host != "localhost" {
		p.add("messages.email.tls", "none is allowed only for a server on a loopback address")
	}
	if (e.Username == "") != (e.PasswordFile == "") {
		p.add("messages.email", "username and password_file go together")
	}
	if e.Username != "" && e.TLS == "none" {
		p.add("messages.email.username", "SMTP AUTH needs tls: starttls or tls")
	}
	if !strings.Contains(e.From, "@") {
		p.add("messages.email.from", "required: the sender's address")
	}
	checkTemplate(p, "messages.email.subject", e.Subject)
	checkTemplate(p, "messages.email.body", e.Body)
}

func validateSMS(p *problems, s SMS) {
	if u, err := url.Parse(s.URL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		p.add("messages.sms.url", "must be an http:// or https:// URL")
	} else if ip := net.ParseIP(u.Hostname()); u.Scheme == "http" && (ip == nil || !ip.IsLoopback()) {
		p.add("messages.sms.url", "http:// is allowed only on a loopback address; use https://")
	}
	p.oneOf("messages.sms.method", s.Method, httpMethods)
	p.oneOf("messages.sms.format", s.Format, smsFormats)
	if (s.SecretHeader == "") != (s.SecretFile == "") {
		p.add("messages.sms", "secret_header and secret_file go together")
	}
	for _, code := range s.SuccessStatus {
		if code < 100 || code > 599 {
			p.add("messages.sms.success_status", "%d is not an HTTP status", code)
		}
	}
	if strings.TrimSpace(s.Body) == "" {
		p.add("messages.sms.body", "required: the request body template")
	}
	checkTemplate(p, "messages.sms.body", s.Body)
}

// checkTemplate reports a template that does not parse. The senders add
// their own functions (json, urlquery), so those are declared here too.
func checkTemplate(p *problems, path, text string) {
	funcs := template.FuncMap{"json": func(string) string { return "" }}
	if _, err := template.New(path).Funcs(funcs).Option("missingkey=error").Parse(text); err != nil {
		p.add(path, "%v", strings.TrimPrefix(err.Error(), "template: "))
	}
}

// methodWarnings flags settings that weaken the message codes.
func (c *Config) methodWarnings() []string {
	var w []string
	if c.Messages.SMS.Enabled() {
		w = append(w, "messages.sms: SMS codes are a restricted authenticator (NIST SP 800-63B §5.1.3.3); prefer TOTP where users can")
	}
	return w
}
