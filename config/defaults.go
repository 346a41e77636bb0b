package config

import (
	"net/netip"
	"path/filepath"
	"strings"
	"time"
)

// Default values, also used by docs/configuration.md.
const (
	DefaultListen         = "127.0.0.1:1812"
	DefaultRequestTimeout = 2 * time.Second
	DefaultDuplicateTTL   = 30 * time.Second
	DefaultMode           = "password+otp"
	DefaultStorePath      = "data/radiusd.db"
	DefaultKeyFile        = "data/radiusd.key"
	// DefaultStorePoolSize and DefaultStatementTimeout apply to postgres.
	DefaultStorePoolSize    = 16
	DefaultStatementTimeout = 2 * time.Second
	DefaultPrompt           = "Enter the code from your authenticator app"
)

// defaults returns the configuration that decoding starts from: a key that
// is absent from the file keeps its default, a key that is present (even
// with a zero value such as "skew: 0") overrides it.
func defaults() Config {
	return Config{
		RADIUS: RADIUS{RequestTimeout: DefaultRequestTimeout, DuplicateTTL: DefaultDuplicateTTL},
		Store: Store{Driver: "sqlite", Path: DefaultStorePath, KeyFile: DefaultKeyFile,
			PoolSize: DefaultStorePoolSize, StatementTimeout: DefaultStatementTimeout},
		Directory: Directory{Backend: "file", LDAP: LDAP{
			Flavor: "openldap", ConnectTimeout: DefaultLDAPConnectTimeout, PoolSize: DefaultLDAPPoolSize,
		}},
		Usernames:     Usernames{Lowercase: true},
		TOTP:          TOTP{Issuer: "radiusd", Digits: 6, Period: 30, Algorithm: "SHA1", Skew: 1, MaxDrift: 4},
		RecoveryCodes: RecoveryCodes{Count: 8},
		Policy:        Policy{Enforce: "all"},
		Challenge:     Challenge{Timeout: 2 * time.Minute, Prompt: DefaultPrompt},
		Lockout:       Lockout{MaxFailures: 10, Duration: 15 * time.Minute},
		Messages: Messages{CodeDigits: 6, CodeLifetime: 5 * time.Minute, ResendInterval: 30 * time.Second,
			SendTimeout: 1500 * time.Millisecond, Email: Email{TLS: "starttls"}, SMS: SMS{Method: "POST", Format: "form"}},
		Portal: Portal{SessionIdle: DefaultSessionIdle, SessionMax: DefaultSessionMax, SigninPerMinute: DefaultSigninPerMinute},
		Log:    Log{Level: "info", Format: "text"},
	}
}

// applyDefaults fills what defaults cannot: an omitted listen list and the
// per-entry defaults of clients.
func (c *Config) applyDefaults() {
	if c.Listen == nil { // omitted or null; an explicit [] stays an error
		c.Listen = []string{DefaultListen}
	}
	if c.Store.Synchronous == "" { // SQLite: fast and safe from crashes of radiusd; PostgreSQL: durable
		c.Store.Synchronous = map[string]string{"postgres": "full"}[c.Store.Driver]
		if c.Store.Synchronous == "" {
			c.Store.Synchronous = "normal"
		}
	}
	for i := range c.Clients {
		cl := &c.Clients[i]
		if cl.Mode == "" {
			cl.Mode = DefaultMode
		}
		if cl.RequireMessageAuthenticator == nil {
			t := true
			cl.RequireMessageAuthenticator = &t
		}
	}
}

// resolvePaths makes relative file paths relative to baseDir.
func (c *Config) resolvePaths(baseDir string) {
	l := &c.Directory.LDAP
	for _, p := range []*string{&c.Store.Path, &c.Store.KeyFile, &c.Store.DSNFile, &c.Messages.Email.CAFile,
		&c.Messages.Email.PasswordFile, &c.Messages.SMS.SecretFile, &c.Messages.SMS.CAFile, &c.Directory.File, &l.CAFile, &l.BindPasswordFile,
		&c.Portal.TLSCertFile, &c.Portal.TLSKeyFile} {
		*p = resolve(baseDir, *p)
	}
	for i := range c.Clients {
		c.Clients[i].SecretFile = resolve(baseDir, c.Clients[i].SecretFile)
	}
}

// resolve joins a relative path to baseDir; blank paths stay blank so that
// Validate reports them.
func resolve(baseDir, p string) string {
	if strings.TrimSpace(p) == "" || baseDir == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(baseDir, p)
}

// resolvePrefixes sets each client's Prefixes; it runs after Validate.
func (c *Config) resolvePrefixes() {
	for i := range c.Clients {
		cl := &c.Clients[i]
		cl.Prefixes = make([]netip.Prefix, 0, len(cl.Networks))
		for _, s := range cl.Networks {
			if p, err := parseNetwork(s); err == nil {
				cl.Prefixes = append(cl.Prefixes, p.Masked())
			}
		}
	}
}
