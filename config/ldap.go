package config

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// Allowed values and defaults of the ldap backend.
var (
	ldapFlavors     = []string{"openldap", "ad"}
	ldapGroupSearch = []string{"member_of", "group_of_names", "group_of_unique_names", "posix", "ad_nested"}
	ldapSchemes     = []string{"ldap", "ldaps"}
)

// Limits of the ldap backend checked by Validate.
const (
	maxLDAPURLs      = 16
	maxLDAPPool      = 256
	maxLDAPCacheTTL  = 10 * time.Minute
	maxLDAPFilterLen = 1024
)

// Defaults of the ldap backend, also used by docs/configuration.md.
const (
	DefaultLDAPConnectTimeout = 3 * time.Second
	DefaultLDAPPoolSize       = 16
	UsernamePlaceholder       = "{username}"
	// DefaultLDAPMailAttribute and DefaultLDAPMobileAttribute are the
	// driver's defaults for an empty mail_attribute and mobile_attribute.
	DefaultLDAPMailAttribute   = "mail"
	DefaultLDAPMobileAttribute = "mobile"
)

// ldapAttributeName matches an attribute name (RFC 4512 descr); OIDs are
// not accepted for the contact attributes, whose values are looked up by
// the name the server returns.
var ldapAttributeName = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9-]*$`)

func (c *Config) validateLDAP(p *problems) {
	l := c.Directory.LDAP
	p.oneOf("directory.ldap.flavor", l.Flavor, ldapFlavors)
	validateLDAPURLs(p, l)
	if (l.BindDN == "") != (l.BindPasswordFile == "") {
		p.add("directory.ldap.bind_password_file", "bind_dn and bind_password_file go together (both empty means anonymous searches)")
	}
	p.required("directory.ldap.base_dn", l.BaseDN)
	if f := l.UserFilter; f != "" {
		switch {
		case len(f) > maxLDAPFilterLen:
			p.add("directory.ldap.user_filter", "longer than %d bytes", maxLDAPFilterLen)
		case !strings.Contains(f, UsernamePlaceholder):
			p.add("directory.ldap.user_filter", "%q must contain %s", f, UsernamePlaceholder)
		case !balancedFilter(f):
			p.add("directory.ldap.user_filter", "%q must be one parenthesised filter such as (uid={username})", f)
		}
	}
	if g := l.Groups.Search; g != "" {
		p.oneOf("directory.ldap.groups.search", g, ldapGroupSearch)
	}
	if strings.ContainsAny(l.Groups.NameAttribute, " ()=*\\") {
		p.add("directory.ldap.groups.name_attribute", "%q is not an attribute name", l.Groups.NameAttribute)
	}
	validateLDAPContacts(p, l)
	p.durationBetween("directory.ldap.connect_timeout", l.ConnectTimeout, 100*time.Millisecond, 30*time.Second, "100ms and 30s")
	p.between("directory.ldap.pool_size", l.PoolSize, 1, maxLDAPPool)
	p.durationBetween("directory.ldap.cache_ttl", l.CacheTTL, 0, maxLDAPCacheTTL, "0s (no cache) and 10m")
}

func validateLDAPURLs(p *problems, l LDAP) {
	if len(l.URLs) == 0 {
		p.add("directory.ldap.urls", "at least one ldap:// or ldaps:// URL is required")
	}
	if len(l.URLs) > maxLDAPURLs {
		p.add("directory.ldap.urls", "more than %d URLs", maxLDAPURLs)
		return
	}
	for i, s := range l.URLs {
		path := fmt.Sprintf("directory.ldap.urls[%d]", i)
		u, err := url.Parse(s)
		switch {
		case err != nil || u.Host == "" || u.Hostname() == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.User != nil:
			p.add(path, "%q is not a URL such as ldaps://dc1.example.org or ldap://127.0.0.1:389", s)
		case u.Scheme != "ldap" && u.Scheme != "ldaps":
			p.add(path, "scheme %q is not one of %s", u.Scheme, strings.Join(ldapSchemes, ", "))
		case u.Scheme == "ldaps" && l.StartTLS:
			p.add(path, "%q is already TLS; start_tls applies to ldap:// URLs", s)
		}
	}
}

// validateLDAPContacts checks mail_attribute and mobile_attribute; empty
// takes the default.
func validateLDAPContacts(p *problems, l LDAP) {
	for _, f := range [][2]string{{"mail_attribute", l.MailAttribute}, {"mobile_attribute", l.MobileAttribute}} {
		if f[1] != "" && !ldapAttributeName.MatchString(f[1]) {
			p.add("directory.ldap."+f[0], "%q is not an attribute name (letters, digits and hyphens, starting with a letter)", f[1])
		}
	}
}

// balancedFilter reports whether f is one parenthesised expression with
// balanced parentheses.
func balancedFilter(f string) bool {
	if !strings.HasPrefix(f, "(") || !strings.HasSuffix(f, ")") {
		return false
	}
	depth := 0
	for i, r := range f {
		switch r {
		case '(':
			depth++
		case ')':
			depth--
			if depth < 0 || (depth == 0 && i != len(f)-1) {
				return false
			}
		}
	}
	return depth == 0
}

// ldapWarnings lists ldap settings that weaken security.
func (c *Config) ldapWarnings() []string {
	l := c.Directory.LDAP
	if c.Directory.Backend != "ldap" {
		if len(l.URLs) > 0 {
			return []string{"directory.ldap: ignored because backend is " + c.Directory.Backend}
		}
		return nil
	}
	var w []string
	for i, s := range l.URLs {
		if strings.HasPrefix(s, "ldap://") && !l.StartTLS {
			w = append(w, fmt.Sprintf("directory.ldap.urls[%d]: %s sends passwords in the clear; use ldaps:// or start_tls", i, s))
		}
	}
	if l.InsecureSkipVerify {
		w = append(w, "directory.ldap.insecure_skip_verify: true accepts any server certificate (an attacker can read passwords)")
	}
	return w
}
