package ldaptest

import (
	"crypto/tls"
	"crypto/x509"
	"net"
	"os"
	"slices"
	"testing"
	"time"

	goldap "github.com/go-ldap/ldap/v3"
)

// dial connects to url (verifying the test CA for TLS) and fails t on error.
func dial(t *testing.T, s *Slapd, url string, startTLS bool) *goldap.Conn {
	t.Helper()
	pem, err := os.ReadFile(s.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(pem)
	cfg := &tls.Config{RootCAs: roots, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12}
	l, err := goldap.DialURL(url, goldap.DialWithTLSConfig(cfg), goldap.DialWithDialer(&net.Dialer{Timeout: 2 * time.Second}))
	if err != nil {
		t.Fatalf("dial %s: %v", url, err)
	}
	t.Cleanup(func() { l.Close() })
	l.SetTimeout(5 * time.Second)
	if startTLS {
		if err := l.StartTLS(cfg); err != nil {
			t.Fatalf("starttls: %v", err)
		}
	}
	return l
}

// memberOf returns the memberOf values of uid's entry.
func memberOf(t *testing.T, l *goldap.Conn, uid string) []string {
	t.Helper()
	res, err := l.Search(goldap.NewSearchRequest(PeopleDN, goldap.ScopeWholeSubtree, goldap.NeverDerefAliases,
		2, 5, false, "(uid="+goldap.EscapeFilter(uid)+")", []string{"memberOf"}, nil))
	if err != nil || len(res.Entries) != 1 {
		t.Fatalf("search %s: %v (%d entries)", uid, err, len(res.Entries))
	}
	return res.Entries[0].GetAttributeValues("memberOf")
}

func TestSlapd(t *testing.T) {
	s := StartSlapd(t, Options{Users: 3, LDIF: []string{`dn: uid=extra,ou=people,dc=example,dc=org
objectClass: inetOrgPerson
uid: extra
cn: Extra
sn: Extra
userPassword: extra-password
`}})
	l := dial(t, s, s.URL, false)
	before := s.BindCount(t)
	for _, c := range []struct{ dn, pw string }{
		{s.BindDN, s.BindPassword},
		{"uid=alice," + PeopleDN, "alice-password"},
		{"uid=extra," + PeopleDN, "extra-password"},
		{"uid=" + UserName(2) + "," + PeopleDN, UserPassword(2)},
	} {
		if err := l.Bind(c.dn, c.pw); err != nil {
			t.Errorf("bind %s: %v", c.dn, err)
		}
	}
	if err := l.Bind("uid=alice,"+PeopleDN, "wrong"); !goldap.IsErrorWithCode(err, goldap.LDAPResultInvalidCredentials) {
		t.Errorf("wrong password: %v", err)
	}
	if got := s.BindCount(t) - before; got != 5 {
		t.Errorf("BindCount delta = %d, want 5", got)
	}
	if got := memberOf(t, l, "alice"); !slices.Equal(got, []string{"cn=vpn-users," + GroupsDN}) {
		t.Errorf("alice memberOf = %q", got)
	}
	if got := memberOf(t, l, UserName(0)); len(got) != 1 {
		t.Errorf("generated user memberOf = %q", got)
	}
	if got := memberOf(t, l, "bob"); len(got) != 0 {
		t.Errorf("bob memberOf = %q (groupOfUniqueNames is not a memberof group)", got)
	}
}

func TestSlapdTLSAndRestart(t *testing.T) {
	s := StartSlapd(t, Options{})
	for _, c := range []struct {
		name     string
		url      string
		startTLS bool
	}{{"ldaps", s.LDAPSURL, false}, {"starttls", s.URL, true}} {
		t.Run(c.name, func(t *testing.T) {
			if err := dial(t, s, c.url, c.startTLS).Bind(s.BindDN, s.BindPassword); err != nil {
				t.Fatal(err)
			}
		})
	}
	n := s.BindCount(t)
	s.Stop(t)
	s.Start(t)
	if err := dial(t, s, s.URL, false).Bind(s.BindDN, s.BindPassword); err != nil {
		t.Fatal(err)
	}
	if got := s.BindCount(t); got != n+1 {
		t.Errorf("BindCount after restart = %d, want %d", got, n+1)
	}
}

func TestSlapdNoTLS(t *testing.T) {
	s := StartSlapd(t, Options{NoTLS: true})
	if s.LDAPSURL != "" || s.CAFile != "" {
		t.Fatalf("NoTLS server has LDAPSURL %q, CAFile %q", s.LDAPSURL, s.CAFile)
	}
	l, err := goldap.DialURL(s.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	l.SetTimeout(5 * time.Second)
	if err := l.StartTLS(&tls.Config{InsecureSkipVerify: true}); err == nil { //nolint:gosec // the server has no TLS
		t.Fatal("StartTLS succeeded against a server without TLS")
	}
}
