package config

import (
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode"
)

// Allowed values of the enumerated keys, in documentation order.
var (
	modes        = []string{"password+otp", "challenge", "auto", "otp-only", "password-only"}
	storeDrivers = []string{"sqlite", "postgres"}
	synchronous  = []string{"normal", "full"}
	backends     = []string{"file", "ldap"}
	algorithms   = []string{"SHA1", "SHA256", "SHA512"}
	enforcements = []string{"all", "groups", "opt-in"}
	logLevels    = []string{"debug", "info", "warn", "error"}
	logFormats   = []string{"text", "json"}
)

// Limits checked by Validate.
const (
	maxRequestTimeout = 10 * time.Second
	maxSeparator      = 4   // characters
	maxReplyMessage   = 253 // bytes in one RADIUS attribute
	maxEnrollURL      = 200 // bytes, leaving room for the Reply-Message text
	maxHashes         = 1024
)

// Modes returns the client modes, in documentation order. cmd/radiusd maps
// them to auth.Mode.
func Modes() []string { return slices.Clone(modes) }

// problems collects validation errors.
type problems []error

func (p *problems) add(path, format string, args ...any) {
	*p = append(*p, fmt.Errorf("%s: %s", path, fmt.Sprintf(format, args...)))
}

func (p *problems) oneOf(path, value string, allowed []string) {
	if !slices.Contains(allowed, value) {
		p.add(path, "%q is not one of %s", value, strings.Join(allowed, ", "))
	}
}

func (p *problems) between(path string, v, lo, hi int) {
	if v < lo || v > hi {
		p.add(path, "%d is not between %d and %d", v, lo, hi)
	}
}

func (p *problems) durationBetween(path string, d, lo, hi time.Duration, allowed string) {
	if d < lo || d > hi {
		p.add(path, "%s is not between %s", d, allowed)
	}
}

func (p *problems) required(path, value string) {
	if strings.TrimSpace(value) == "" {
		p.add(path, "required")
	}
}

// Validate reports every problem of c, joined with errors.Join, or nil. Each
// message starts with the YAML path and gives the value (never a secret)
// and what is allowed. Validate changes nothing and reads no file.
func (c *Config) Validate() error {
	var p problems
	c.validateListen(&p)
	c.validateRADIUS(&p)
	c.validateClients(&p)
	c.validateStore(&p)
	c.validateDirectory(&p)
	c.validateUsernames(&p)
	c.validateTOTP(&p)
	p.between("recovery_codes.count", c.RecoveryCodes.Count, 1, 32)
	c.validatePolicy(&p)
	c.validateChallenge(&p)
	c.validateLockout(&p)
	c.validateReplies(&p)
	c.validateMessages(&p)
	c.validatePortal(&p)
	if l := c.Metrics.Listen; l != "" {
		if _, err := netip.ParseAddrPort(l); err != nil {
			p.add("metrics.listen", "%q is not an IP address and port such as 127.0.0.1:9812", l)
		}
	}
	p.oneOf("log.level", c.Log.Level, logLevels)
	p.oneOf("log.format", c.Log.Format, logFormats)
	return errors.Join(p...)
}

func (c *Config) validateListen(p *problems) {
	if len(c.Listen) == 0 {
		p.add("listen", "at least one address is required")
	}
	seen := map[netip.AddrPort]int{}
	for i, s := range c.Listen {
		path := fmt.Sprintf("listen[%d]", i)
		ap, err := netip.ParseAddrPort(s)
		if err != nil {
			p.add(path, "%q is not an IP address and port such as 127.0.0.1:1812 or [::1]:1812", s)
			continue
		}
		if j, dup := seen[ap]; dup {
			p.add(path, "%q is already listed as listen[%d]", s, j)
			continue
		}
		seen[ap] = i
	}
}

func (c *Config) validateRADIUS(p *problems) {
	if d := c.RADIUS.RequestTimeout; d <= 0 || d >= maxRequestTimeout {
		p.add("radius.request_timeout", "%s must be more than 0s and less than 10s (below the NAS retransmit time)", d)
	}
	p.durationBetween("radius.duplicate_ttl", c.RADIUS.DuplicateTTL, time.Second, 10*time.Minute, "1s and 10m")
}

func (c *Config) validateStore(p *problems) {
	s := c.Store
	p.oneOf("store.driver", s.Driver, storeDrivers)
	p.required("store.key_file", s.KeyFile)
	p.oneOf("store.synchronous", s.Synchronous, synchronous)
	if s.Driver == "postgres" {
		if s.DSN.IsZero() == (s.DSNFile == "") {
			p.add("store", "postgres needs exactly one of dsn and dsn_file")
		}
		p.between("store.pool_size", s.PoolSize, 1, 1000)
		p.durationBetween("store.statement_timeout", s.StatementTimeout, 100*time.Millisecond, time.Minute, "100ms and 1m")
		return
	}
	p.required("store.path", s.Path)
	if s.KeyFile != "" && s.KeyFile == s.Path {
		p.add("store.key_file", "%q must differ from store.path", s.KeyFile)
	}
}

func (c *Config) validateDirectory(p *problems) {
	d := c.Directory
	p.oneOf("directory.backend", d.Backend, backends)
	if d.Backend == "file" && strings.TrimSpace(d.File) == "" {
		p.add("directory.file", "required when backend is file")
	}
	if d.Backend == "ldap" {
		c.validateLDAP(p)
	}
	if d.MaxConcurrentHashes < 0 || d.MaxConcurrentHashes > maxHashes {
		p.add("directory.max_concurrent_hashes", "%d is not between 0 and %d (0 = number of CPUs)", d.MaxConcurrentHashes, maxHashes)
	}
}

func (c *Config) validateUsernames(p *problems) {
	for i, d := range c.Usernames.StripDomains {
		if d == "" || strings.ContainsAny(d, `\@`) || hasSpaceOrControl(d) {
			p.add(fmt.Sprintf("usernames.strip_domains[%d]", i), "%q must be a non-empty NetBIOS domain name without \\, @ or spaces", d)
		}
	}
	for i, r := range c.Usernames.StripRealms {
		if r == "" || strings.ContainsAny(r, `\@`) || hasSpaceOrControl(r) {
			p.add(fmt.Sprintf("usernames.strip_realms[%d]", i), "%q must be a non-empty realm without @, \\ or spaces", r)
		}
	}
}

func (c *Config) validateTOTP(p *problems) {
	t := c.TOTP
	p.required("totp.issuer", t.Issuer)
	if strings.Contains(t.Issuer, ":") || hasControl(t.Issuer) {
		p.add("totp.issuer", "%q must not contain ':' or control characters (otpauth:// label)", t.Issuer)
	}
	if t.Digits != 6 && t.Digits != 8 {
		p.add("totp.digits", "%d is not one of 6, 8", t.Digits)
	}
	if t.Period != 30 && t.Period != 60 {
		p.add("totp.period", "%d is not one of 30, 60", t.Period)
	}
	p.oneOf("totp.algorithm", t.Algorithm, algorithms)
	p.between("totp.skew", t.Skew, 0, 3)
	p.between("totp.max_drift", t.MaxDrift, 0, 10)
}

func (c *Config) validatePolicy(p *problems) {
	pol := c.Policy
	p.oneOf("policy.enforce", pol.Enforce, enforcements)
	if pol.Enforce == "groups" && len(pol.Groups) == 0 {
		p.add("policy.groups", "at least one group is required when enforce is groups")
	}
	for i, g := range pol.Groups {
		if strings.TrimSpace(g) == "" {
			p.add(fmt.Sprintf("policy.groups[%d]", i), "must not be empty")
		}
	}
	if pol.EnrollURL != "" {
		u, err := url.Parse(pol.EnrollURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || hasSpaceOrControl(pol.EnrollURL) {
			p.add("policy.enroll_url", "%q is not an http:// or https:// URL", pol.EnrollURL)
		} else if len(pol.EnrollURL) > maxEnrollURL {
			p.add("policy.enroll_url", "longer than %d bytes; it must fit in a Reply-Message", maxEnrollURL)
		}
	}
	if pol.GracePeriod < 0 {
		p.add("policy.grace_period", "%s must not be negative", pol.GracePeriod)
	}
}

func (c *Config) validateChallenge(p *problems) {
	p.durationBetween("challenge.timeout", c.Challenge.Timeout, 10*time.Second, 10*time.Minute, "10s and 10m")
	p.required("challenge.prompt", c.Challenge.Prompt)
	if len(c.Challenge.Prompt) > maxReplyMessage {
		p.add("challenge.prompt", "longer than %d bytes (one Reply-Message attribute)", maxReplyMessage)
	}
}

func (c *Config) validateLockout(p *problems) {
	if c.Lockout.MaxFailures < 0 {
		p.add("lockout.max_failures", "%d must not be negative (0 disables locking)", c.Lockout.MaxFailures)
	}
	if c.Lockout.Duration <= 0 {
		p.add("lockout.duration", "%s must be more than 0s", c.Lockout.Duration)
	}
}

func hasControl(s string) bool { return strings.IndexFunc(s, unicode.IsControl) >= 0 }

func hasSpaceOrControl(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0
}
