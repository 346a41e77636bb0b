//go:build integration

package integration

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"radiusd/directory/ldap/ldaptest"
)

// The LDAP tests start a real slapd with ldaptest, the test harness of the
// LDAP driver (see the package doc for why the suite may import it).

// Users of ldaptest's base LDIF (testdata/base.ldif) and their passwords.
var (
	ldapAlice = user{name: "alice", password: "alice-password"} // groupOfNames vpn-users (and memberOf)
	ldapBob   = user{name: "bob", password: "bob-password"}     // groupOfUniqueNames vpn-admins
	ldapCarol = user{name: "carol", password: "carol-password"} // in no group
	ldapDave  = user{name: "dave", password: "dave-password"}   // posixGroup unix-vpn
	ldapEmile = user{name: "émile", password: "emile-password"} // non-ASCII uid, no group
	ldapStar  = user{name: "star*user", password: "star-password"}
)

// LDAP transports of ldapConf.
const (
	overLDAPS    = "ldaps"    // ldaps:// with the test CA (the default)
	overStartTLS = "starttls" // ldap:// upgraded with StartTLS, the test CA
	overPlain    = "plain"    // ldap:// in the clear
)

// ldapConf says how radiusd reaches a test slapd.
type ldapConf struct {
	transport    string // overLDAPS (default), overStartTLS or overPlain
	anonymous    bool   // no bind_dn: searches without a service bind
	bindPassword string // content of bind_password_file; default the right one
	groups       string // groups.search; "" = the flavor's default (group_of_names)
	extra        string // more keys of the ldap mapping, e.g. "pool_size: 1"
}

// startSlapd starts a slapd loaded with the base LDIF for t and registers
// every password of that directory as a secret that no log may show.
func startSlapd(t *testing.T) *ldaptest.Slapd {
	t.Helper()
	sl := ldaptest.StartSlapd(t, ldaptest.Options{})
	sensitive.remember("LDAP service password", sl.BindPassword)
	for _, u := range []user{ldapAlice, ldapBob, ldapCarol, ldapDave, ldapEmile, ldapStar} {
		sensitive.remember("LDAP user password", u.password)
	}
	return sl
}

// ldapDirectory renders the directory section for sl as c describes; the
// bind password file (mode 0600) and CA paths are absolute.
func ldapDirectory(t *testing.T, sl *ldaptest.Slapd, c ldapConf) string {
	t.Helper()
	var keys []string
	switch c.transport {
	case "", overLDAPS:
		keys = append(keys, fmt.Sprintf("urls: [%q]", sl.LDAPSURL), fmt.Sprintf("ca_file: %q", sl.CAFile))
	case overStartTLS:
		keys = append(keys, fmt.Sprintf("urls: [%q]", sl.URL), "start_tls: true", fmt.Sprintf("ca_file: %q", sl.CAFile))
	case overPlain:
		keys = append(keys, fmt.Sprintf("urls: [%q]", sl.URL))
	default:
		t.Fatalf("ldapDirectory: unknown transport %q", c.transport)
	}
	keys = append(keys, fmt.Sprintf("base_dn: %q", sl.BaseDN))
	if !c.anonymous {
		pw := filepath.Join(t.TempDir(), "bind-password")
		if err := os.WriteFile(pw, []byte(or(c.bindPassword, sl.BindPassword)+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		keys = append(keys, fmt.Sprintf("bind_dn: %q", sl.BindDN), fmt.Sprintf("bind_password_file: %q", pw))
	}
	if c.groups != "" {
		keys = append(keys, "groups: { search: "+c.groups+" }")
	}
	if c.extra != "" {
		keys = append(keys, c.extra)
	}
	return "{ backend: ldap, ldap: { " + strings.Join(keys, ", ") + " } }"
}

// startLDAPServer starts radiusd with o, its directory being sl as c says.
func startLDAPServer(t *testing.T, sl *ldaptest.Slapd, c ldapConf, o options) *server {
	t.Helper()
	o.directory = ldapDirectory(t, sl, c)
	return startServer(t, o)
}

// papRaw is pap for names that str cannot render for radclient: a NUL byte
// becomes radclient's octal escape \000 (a raw NUL would end the line in
// radclient's C parser and send a shorter name).
func papRaw(name, password string) []string {
	v := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\x00", `\000`).Replace(name)
	return []string{fmt.Sprintf(`User-Name = "%s"`, v), str("User-Password", password)}
}

// serviceBindLine matches slapd's stats line for a BIND request of dn
// (as ldaptest.Slapd.BindCount counts them).
func serviceBindLine(dn string) *regexp.Regexp {
	return regexp.MustCompile(`(?mi) BIND dn="` + regexp.QuoteMeta(dn) + `" method=[0-9]+$`)
}

// userBinds returns the BIND requests slapd has logged so far, less those
// of the service account: the user binds.
func userBinds(t *testing.T, sl *ldaptest.Slapd) int {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(sl.Dir, "slapd.log"))
	if err != nil {
		t.Fatal(err)
	}
	return sl.BindCount(t) - len(serviceBindLine(sl.BindDN).FindAllIndex(data, -1))
}

// sentRequest matches radclient's line for the request it sent.
var sentRequest = regexp.MustCompile(`(?m)^Sent Access-Request Id [0-9]+ from \S+ to \S+ length ([0-9]+)$`)

// sentLength returns the length of the Access-Request radclient sent, from
// its -x output.
func sentLength(t *testing.T, out string) int {
	t.Helper()
	m := sentRequest.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no Sent Access-Request line in radclient's output:\n%s", out)
	}
	n, err := strconv.Atoi(m[1])
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// papLength is the length of the Access-Request that papRaw(name,
// password) describes, with its Message-Authenticator: it proves that
// radclient sent every byte of name (a NUL included), or its first 253
// bytes when name is longer than a RADIUS attribute holds.
func papLength(name, password string) int {
	hidden := max(16, (len(password)+15)/16*16)
	return 20 + 2 + min(len(name), 253) + 2 + hidden + 18
}
