package ldap

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"

	goldap "github.com/go-ldap/ldap/v3"

	"radiusd/secret"
)

// Flavor selects defaults for the user filter and the group search.
type Flavor string

// The supported directory servers.
const (
	OpenLDAP        Flavor = "openldap"
	ActiveDirectory Flavor = "ad"
)

// GroupSearch says how a user's groups are found.
type GroupSearch string

// The group search methods.
const (
	// GroupsMemberOf reads the user's memberOf attribute (OpenLDAP memberof
	// overlay, or AD without nesting).
	GroupsMemberOf GroupSearch = "member_of"
	// GroupsGroupOfNames searches (&(objectClass=groupOfNames)(member=<userDN>));
	// the OpenLDAP default.
	GroupsGroupOfNames GroupSearch = "group_of_names"
	// GroupsGroupOfUniqueNames searches
	// (&(objectClass=groupOfUniqueNames)(uniqueMember=<userDN>)).
	GroupsGroupOfUniqueNames GroupSearch = "group_of_unique_names"
	// GroupsPosix searches (&(objectClass=posixGroup)(memberUid=<login name>)),
	// where the login name is the entry's uid value when it has one.
	GroupsPosix GroupSearch = "posix"
	// GroupsADNested searches (&(objectClass=group)(member:1.2.840.113556.1.4.1941:=<userDN>)),
	// AD's transitive membership rule scoped to the one user; the AD default.
	GroupsADNested GroupSearch = "ad_nested"
)

// Default filters; "{username}" is replaced by the escaped login name.
const (
	DefaultOpenLDAPFilter = "(&(objectClass=inetOrgPerson)(uid={username}))"
	DefaultADFilter       = "(&(objectCategory=person)(objectClass=user)(|(sAMAccountName={username})(userPrincipalName={username})))"
)

// Default contact attributes (inetOrgPerson, RFC 2798, and AD both have them).
const (
	DefaultMailAttribute   = "mail"
	DefaultMobileAttribute = "mobile"
)

// Config configures a Directory. Zero values take the documented defaults
// (applied by New).
type Config struct {
	URLs               []string      // ldap:// or ldaps:// URLs, tried in order (failover); required
	StartTLS           bool          // upgrade ldap:// connections; a server that does not offer it is an error
	CAFile             string        // PEM CA bundle for LDAPS/StartTLS; "" = system roots
	InsecureSkipVerify bool          // skip certificate checks; New logs a Warn line every time it is set
	ServerName         string        // TLS server name override; "" = host of the URL
	BindDN             string        // service account; "" = anonymous searches
	BindPassword       secret.Value  // service account password
	BaseDN             string        // required; user searches are subtree under it
	UserFilter         string        // "{username}" is replaced by the escaped login name; defaults DefaultOpenLDAPFilter, DefaultADFilter
	Flavor             Flavor        // default OpenLDAP
	Groups             GroupSearch   // default: GroupsGroupOfNames (openldap), GroupsADNested (ad)
	GroupBaseDN        string        // default BaseDN
	GroupNameAttribute string        // the attribute whose value is the group's name in User.Groups; default "cn"
	MailAttribute      string        // the user attribute whose first value is User.Email; default "mail"; its primary name (no alias, no OID)
	MobileAttribute    string        // the user attribute whose first value is User.Mobile; default "mobile"; its primary name
	NoGroups           bool          // the caller never uses User.Groups: no group search, Groups always empty
	ConnectTimeout     time.Duration // per dial (TCP, TLS, StartTLS); default 3s
	PoolSize           int           // connections per kind (service searches, user binds) open at once; callers wait for one; default 16
	CacheTTL           time.Duration // user DN + groups + enabled flag + contacts cache; 0 = no cache; a password result is NEVER cached
	Logger             *slog.Logger  // default slog.Default()
}

// withDefaults returns cfg with every zero field that has a default set.
func (cfg Config) withDefaults() Config {
	if cfg.Flavor == "" {
		cfg.Flavor = OpenLDAP
	}
	ad := cfg.Flavor == ActiveDirectory
	if cfg.UserFilter == "" {
		cfg.UserFilter = pick(ad, DefaultADFilter, DefaultOpenLDAPFilter)
	}
	if cfg.Groups == "" {
		cfg.Groups = pick(ad, GroupsADNested, GroupsGroupOfNames)
	}
	if cfg.GroupBaseDN == "" {
		cfg.GroupBaseDN = cfg.BaseDN
	}
	if cfg.GroupNameAttribute == "" {
		cfg.GroupNameAttribute = "cn"
	}
	if cfg.MailAttribute == "" {
		cfg.MailAttribute = DefaultMailAttribute
	}
	if cfg.MobileAttribute == "" {
		cfg.MobileAttribute = DefaultMobileAttribute
	}
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = 3 * time.Second
	}
	if cfg.PoolSize == 0 {
		cfg.PoolSize = 16
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return cfg
}

func pick[T any](cond bool, yes, no T) T {
	if cond {
		return yes
	}
	return no
}

// attributeName matches an attribute descriptor: a name or an OID.
var attributeName = regexp.MustCompile(`^([A-Za-z][A-Za-z0-9-]*|[0-9]+(\.[0-9]+)+)$`)

// descrName matches an attribute name (RFC 4512 descr) without an OID:
// servers name returned attributes by their primary name, never by OID.
var descrName = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9-]*$`)

// validate reports every problem of a defaulted cfg except its URLs and
// CA file (see targets).
func (cfg Config) validate() []error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf("ldap: config: "+format, args...)) }
	if !slices.Contains([]Flavor{OpenLDAP, ActiveDirectory}, cfg.Flavor) {
		add("Flavor %q is not one of openldap, ad", cfg.Flavor)
	}
	groups := []GroupSearch{GroupsMemberOf, GroupsGroupOfNames, GroupsGroupOfUniqueNames, GroupsPosix, GroupsADNested}
	if !slices.Contains(groups, cfg.Groups) {
		add("Groups %q is not one of member_of, group_of_names, group_of_unique_names, posix, ad_nested", cfg.Groups)
	}
	if cfg.BaseDN == "" {
		add("BaseDN is required")
	}
	for _, f := range [][2]string{{"BaseDN", cfg.BaseDN}, {"GroupBaseDN", cfg.GroupBaseDN}, {"BindDN", cfg.BindDN}} {
		if _, err := goldap.ParseDN(f[1]); err != nil {
			add("%s %q is not a valid DN: %v", f[0], f[1], err)
		}
	}
	if cfg.BindDN != "" && cfg.BindPassword.IsZero() {
		add("BindDN is set but BindPassword is empty (an unauthenticated bind is refused)")
	}
	if cfg.BindDN == "" && !cfg.BindPassword.IsZero() {
		add("BindPassword is set but BindDN is empty")
	}
	if err := checkFilter(cfg.UserFilter); err != nil {
		add("UserFilter %q: %v", cfg.UserFilter, err)
	}
	errs = append(errs, cfg.validateAttributes()...)
	if cfg.ConnectTimeout < 0 || cfg.CacheTTL < 0 || cfg.PoolSize < 0 {
		add("ConnectTimeout (%v), CacheTTL (%v) and PoolSize (%d) must not be negative", cfg.ConnectTimeout, cfg.CacheTTL, cfg.PoolSize)
	}
	return errs
}

// validateAttributes reports a GroupNameAttribute that is neither a name
// nor an OID, and contact attributes that are not names.
func (cfg Config) validateAttributes() []error {
	var errs []error
	if !attributeName.MatchString(cfg.GroupNameAttribute) {
		errs = append(errs, fmt.Errorf("ldap: config: GroupNameAttribute %q is not an attribute name", cfg.GroupNameAttribute))
	}
	for _, f := range [][2]string{{"MailAttribute", cfg.MailAttribute}, {"MobileAttribute", cfg.MobileAttribute}} {
		if !descrName.MatchString(f[1]) {
			errs = append(errs, fmt.Errorf("ldap: config: %s %q is not an attribute name (letters, digits and hyphens, starting with a letter)", f[0], f[1]))
		}
	}
	return errs
}

// checkFilter checks that a user filter holds "{username}" and compiles.
func checkFilter(f string) error {
	if !strings.Contains(f, "{username}") {
		return errors.New(`it must contain "{username}"`)
	}
	_, err := goldap.CompileFilter(strings.ReplaceAll(f, "{username}", "x"))
	return err
}

// target is one server URL, parsed.
type target struct {
	url      string // for messages (never holds credentials: URLs with user info are refused)
	addr     string // host:port
	ldaps    bool
	startTLS bool
	tls      *tls.Config
}

// targets parses cfg.URLs and loads cfg.CAFile; it reports every problem.
func (cfg Config) targets() ([]*target, []error) {
	var errs []error
	if len(cfg.URLs) == 0 {
		errs = append(errs, errors.New("ldap: config: URLs is empty; give at least one ldap:// or ldaps:// URL"))
	}
	base, err := cfg.tlsConfig()
	if err != nil {
		errs = append(errs, err)
	}
	var out []*target
	for i, raw := range cfg.URLs {
		t, err := parseTarget(raw)
		if err != nil {
			errs = append(errs, fmt.Errorf("ldap: config: URLs[%d]: %w", i, err))
			continue
		}
		t.startTLS = cfg.StartTLS && !t.ldaps
		if base != nil {
			t.tls = base.Clone()
			if t.tls.ServerName == "" {
				t.tls.ServerName, _, _ = net.SplitHostPort(t.addr)
			}
		}
		out = append(out, t)
	}
	return out, errs
}

// parseTarget parses one ldap:// or ldaps:// URL (default ports 389, 636).
func parseTarget(raw string) (*target, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, errors.New("not a URL")
	}
	switch {
	case u.User != nil:
		return nil, errors.New("user info in the URL is not allowed; use BindDN and BindPassword")
	case u.Scheme != "ldap" && u.Scheme != "ldaps":
		return nil, fmt.Errorf("%q: scheme must be ldap or ldaps", raw)
	case u.Hostname() == "":
		return nil, fmt.Errorf("%q: no host", raw)
	case (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "":
		return nil, fmt.Errorf("%q: a path, query or fragment is not allowed", raw)
	}
	port := u.Port()
	if port == "" {
		port = pick(u.Scheme == "ldaps", "636", "389")
	}
	return &target{url: raw, addr: net.JoinHostPort(u.Hostname(), port), ldaps: u.Scheme == "ldaps"}, nil
}

// tlsConfig builds the TLS settings shared by all URLs.
func (cfg Config) tlsConfig() (*tls.Config, error) {
	c := &tls.Config{
		MinVersion:         tls.VersionTLS12,
		ServerName:         cfg.ServerName,
		InsecureSkipVerify: cfg.InsecureSkipVerify, //nolint:gosec // explicit operator choice, logged at Warn by New
	}
	if cfg.CAFile == "" {
		return c, nil
	}
	pem, err := os.ReadFile(cfg.CAFile)
	if err != nil {
		return nil, fmt.Errorf("ldap: config: CAFile: %w", err)
	}
	c.RootCAs = x509.NewCertPool()
	if !c.RootCAs.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("ldap: config: CAFile %q holds no PEM certificate", cfg.CAFile)
	}
	return c, nil
}
