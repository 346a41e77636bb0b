// Package config owns radiusd's YAML configuration: the schema and its YAML
// keys, the defaults, strict decoding and the validation messages.
//
// Parsing runs decode → applyDefaults → resolve paths → Validate → read
// secret files. Decoding is strict (unknown keys are errors that name the
// line and the YAML path); Validate never changes anything and reports every
// problem at once, each message starting with the YAML path of the value.
//
// config is a leaf: it imports the standard library, gopkg.in/yaml.v3 and
// radiusd/secret only. It must never import auth, radiussrv, store or any
// directory or store driver; modes, drivers and backends are plain strings
// checked against lists kept here, and cmd/radiusd maps them to the other
// packages' options.
package config

import (
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"time"
)

// MaxSize is the largest configuration file Load and Parse accept. It bounds
// the work an attacker-supplied or corrupted file can cause (alias bombs).
const MaxSize = 1 << 20

// ErrTooLarge is returned (wrapped) for a configuration larger than MaxSize.
var ErrTooLarge = errors.New("config: larger than 1 MiB")

// Config is a validated radiusd configuration. Load and Parse return it
// with defaults applied, relative paths resolved and secrets read; it is
// read-only afterwards and safe to share between goroutines.
type Config struct {
	// Listen lists the UDP host:port addresses for RADIUS authentication,
	// IPv4 ("127.0.0.1:1812") or IPv6 ("[::1]:1812").
	Listen        []string      `yaml:"listen"`
	RADIUS        RADIUS        `yaml:"radius"`
	Clients       []Client      `yaml:"clients"`
	Store         Store         `yaml:"store"`
	Directory     Directory     `yaml:"directory"`
	Usernames     Usernames     `yaml:"usernames"`
	TOTP          TOTP          `yaml:"totp"`
	RecoveryCodes RecoveryCodes `yaml:"recovery_codes"`
	Policy        Policy        `yaml:"policy"`
	Challenge     Challenge     `yaml:"challenge"`
	Lockout       Lockout       `yaml:"lockout"`
	Replies       []Reply       `yaml:"replies"`
	Messages      Messages      `yaml:"messages"`
	Metrics       Metrics       `yaml:"metrics"`
	Portal        Portal        `yaml:"portal"`
	Log           Log           `yaml:"log"`
}

// Metrics configures the Prometheus endpoint.
type Metrics struct {
	// Listen is the TCP host:port of /metrics, /healthz and /readyz; ""
	// (the default) serves none.
	Listen string `yaml:"listen"`
}

// RADIUS holds protocol timing.
type RADIUS struct {
	// RequestTimeout is the budget for one Access-Request; it must stay
	// below the NAS retransmit time.
	RequestTimeout time.Duration `yaml:"request_timeout"`
	// DuplicateTTL is how long a response is cached for retransmissions
	// (RFC 5080 §2.2.2).
	DuplicateTTL time.Duration `yaml:"duplicate_ttl"`
}

// Client is one RADIUS client (NAS), matched by source address.
type Client struct {
	Name string `yaml:"name"`
	// Networks are the source prefixes as written; a bare address means /32
	// or /128. Use Prefixes for the parsed form.
	Networks []string `yaml:"networks"`
	// Secret is the shared secret written inline; prefer SecretFile.
	Secret Secret `yaml:"secret"`
	// SecretFile names a file holding the shared secret (trailing newline
	// trimmed), resolved against the config file's directory.
	SecretFile string `yaml:"secret_file"`
	// Mode is one of Modes().
	Mode string `yaml:"mode"`
	// Separator optionally separates password and code (password+otp, auto).
	Separator string `yaml:"separator"`
	// RequireMessageAuthenticator defaults to true; nil means omitted.
	RequireMessageAuthenticator *bool `yaml:"require_message_authenticator"`

	// Prefixes are the parsed, masked Networks, set by Parse.
	Prefixes []netip.Prefix `yaml:"-"`
	// SharedSecret is the secret from Secret or SecretFile, set by Parse.
	SharedSecret Secret `yaml:"-"`
}

// RequiresMessageAuthenticator reports whether Access-Requests from this
// client must carry a Message-Authenticator (true unless set to false).
func (c Client) RequiresMessageAuthenticator() bool {
	return c.RequireMessageAuthenticator == nil || *c.RequireMessageAuthenticator
}

// Store selects and configures the state store.
type Store struct {
	Driver      string `yaml:"driver"`      // sqlite | postgres
	Path        string `yaml:"path"`        // SQLite database file
	KeyFile     string `yaml:"key_file"`    // AES-256 key for TOTP secrets at rest
	Synchronous string `yaml:"synchronous"` // normal | full: SQLite's synchronous, PostgreSQL's synchronous_commit off | on

	// DSN is the PostgreSQL connection string written inline; prefer
	// DSNFile when it holds a password.
	DSN Secret `yaml:"dsn"`
	// DSNFile names a file holding the connection string (one line).
	DSNFile string `yaml:"dsn_file"`
	// PoolSize bounds the connections to PostgreSQL (default 16).
	PoolSize int `yaml:"pool_size"`
	// StatementTimeout bounds each PostgreSQL statement (default 2s).
	StatementTimeout time.Duration `yaml:"statement_timeout"`
	// ConnString is the DSN from DSN or DSNFile, set by Parse.
	ConnString Secret `yaml:"-"`
}

// Directory selects and configures the user directory.
type Directory struct {
	Backend string `yaml:"backend"` // file | ldap
	File    string `yaml:"file"`    // users file for the file backend
	// MaxConcurrentHashes bounds parallel password hash checks; 0 means the
	// number of CPUs.
	MaxConcurrentHashes int  `yaml:"max_concurrent_hashes"`
	LDAP                LDAP `yaml:"ldap"` // the ldap backend
}

// LDAP configures the ldap backend (OpenLDAP or Active Directory).
type LDAP struct {
	Flavor             string        `yaml:"flavor"`               // openldap | ad
	URLs               []string      `yaml:"urls"`                 // ldap:// or ldaps://, tried in order
	StartTLS           bool          `yaml:"start_tls"`            // upgrade ldap:// connections
	CAFile             string        `yaml:"ca_file"`              // PEM CA bundle; "" = system roots
	InsecureSkipVerify bool          `yaml:"insecure_skip_verify"` // testing only; logged loudly
	ServerName         string        `yaml:"server_name"`          // TLS name override
	BindDN             string        `yaml:"bind_dn"`              // service account ("" = anonymous)
	BindPasswordFile   string        `yaml:"bind_password_file"`   // its password, one line, 0600
	BaseDN             string        `yaml:"base_dn"`              // user searches, subtree
	UserFilter         string        `yaml:"user_filter"`          // "{username}" = the escaped name
	Groups             LDAPGroups    `yaml:"groups"`
	MailAttribute      string        `yaml:"mail_attribute"`   // User.Email; "" = mail
	MobileAttribute    string        `yaml:"mobile_attribute"` // User.Mobile; "" = mobile
	ConnectTimeout     time.Duration `yaml:"connect_timeout"`
	PoolSize           int           `yaml:"pool_size"` // idle connections kept, per kind
	CacheTTL           time.Duration `yaml:"cache_ttl"` // user DN, groups, contacts; never passwords

	// BindPassword is read from BindPasswordFile by Parse.
	BindPassword Secret `yaml:"-"`
}

// LDAPGroups says how a user's directory groups are found.
type LDAPGroups struct {
	// Search is one of member_of, group_of_names, group_of_unique_names,
	// posix, ad_nested; "" takes the flavor's default.
	Search        string `yaml:"search"`
	BaseDN        string `yaml:"base_dn"`        // "" = ldap.base_dn
	NameAttribute string `yaml:"name_attribute"` // default cn
}

// Usernames controls user name normalisation before any lookup.
type Usernames struct {
	Lowercase    bool     `yaml:"lowercase"`
	StripDomains []string `yaml:"strip_domains"` // DOMAIN\user → user (case-insensitive)
	StripRealms  []string `yaml:"strip_realms"`  // user@realm → user (case-insensitive)
}

// TOTP holds the parameters of new enrollments and of verification.
type TOTP struct {
	Issuer    string `yaml:"issuer"`
	Digits    int    `yaml:"digits"`    // 6 | 8
	Period    int    `yaml:"period"`    // seconds: 30 | 60
	Algorithm string `yaml:"algorithm"` // SHA1 | SHA256 | SHA512
	Skew      int    `yaml:"skew"`      // accepted steps either side of now
	MaxDrift  int    `yaml:"max_drift"` // largest learned per-user drift, in steps
}

// RecoveryCodes configures one-time recovery codes.
type RecoveryCodes struct {
	Count int `yaml:"count"`
}

// Policy decides who must use a second factor.
type Policy struct {
	Enforce     string        `yaml:"enforce"` // all | groups | opt-in
	Groups      []string      `yaml:"groups"`
	EnrollURL   string        `yaml:"enroll_url"`
	GracePeriod time.Duration `yaml:"grace_period"`
}

// Challenge configures Access-Challenge (challenge and auto modes).
type Challenge struct {
	Timeout time.Duration `yaml:"timeout"`
	Prompt  string        `yaml:"prompt"`
}

// Lockout configures locking after failed second factors.
type Lockout struct {
	MaxFailures int           `yaml:"max_failures"` // 0 disables locking
	Duration    time.Duration `yaml:"duration"`
}

// Log configures the logger.
type Log struct {
	Level  string `yaml:"level"`  // debug | info | warn | error
	Format string `yaml:"format"` // text | json
}

// Load reads the configuration file at path and returns it parsed,
// defaulted and validated (see Parse). Relative paths in the file are
// resolved against the file's directory. The error lists every problem.
func Load(path string) (*Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxSize+1))
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	dir, err := filepath.Abs(filepath.Dir(path))
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return Parse(data, dir)
}

// Parse decodes data strictly, applies defaults, resolves relative paths
// against baseDir (left relative to the working directory if baseDir is ""),
// validates, and reads each client's secret_file. It reports every problem
// in one error built with errors.Join, each line starting with "line N:"
// (decoding) or with the YAML path (validation). Errors never contain a
// secret.
func Parse(data []byte, baseDir string) (*Config, error) {
	if len(data) > MaxSize {
		return nil, ErrTooLarge
	}
	cfg, err := decode(data)
	if err != nil {
		return nil, err
	}
	cfg.applyDefaults()
	cfg.resolvePaths(baseDir)
	errs := []error{cfg.Validate()}
	errs = append(errs, cfg.readSecrets()...)
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	cfg.resolvePrefixes()
	cfg.resolvePortal()
	cfg.resolveReplies()
	return cfg, nil
}
