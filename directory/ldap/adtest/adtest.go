// Package adtest starts a real Samba Active Directory domain controller for
// tests of radiusd's Active Directory support.
//
// The domain is provisioned once per Samba version into a template under
// os.UserCacheDir()/radiusd-test (guarded by a lock file); every StartDC
// copies the template into the test's temporary folder and runs its own
// `samba -i -M single` (one process, no children) bound only to a private
// loopback address 127.0.77.N, so several DCs (from parallel tests or test
// binaries) never collide and nothing else on the machine is touched.
// The DC listens on LDAP 389 (StartTLS), LDAPS 636, GC 3268/3269 and
// Kerberos 88/464 of that address, with a certificate from a CA made for
// that one DC. Password complexity is off, passwords never expire by age and
// the lockout threshold is 65535, so tests do not lock accounts while
// badPwdCount is still counted.
//
// It is a test helper: it imports only go-ldap and the standard library, and
// must never import another radiusd package.
package adtest

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	goldap "github.com/go-ldap/ldap/v3"
)

// The fixed names of the test domain.
const (
	// Realm is the Kerberos realm and DNS domain (upper case).
	Realm = "EXAMPLE.TEST"
	// Domain is the NetBIOS domain name.
	Domain = "EXAMPLE"
	// BaseDN is the domain's naming context.
	BaseDN = "DC=example,DC=test"
	// ServerName is the DC's host name, in the certificate with its address.
	ServerName = "dc1.example.test"

	adminPassword   = "Adm1n-Passw0rd!"
	serviceName     = "svc-radiusd"
	servicePassword = "Svc-Passw0rd!"
	usersDN         = "CN=Users," + BaseDN
	expirePSO       = "adtest-expire"
	psoDN           = "CN=" + expirePSO + ",CN=Password Settings Container,CN=System," + BaseDN
	installHint     = "install Samba AD: apt-get install samba-ad-dc (Debian/Ubuntu)"
	requiredEnv     = "RADIUSD_INTEGRATION_REQUIRED"
)

// DC is a running Samba AD domain controller owned by one test. Its methods
// are safe for concurrent use; each opens its own LDAPS connection as the
// domain administrator and fails the test on error.
type DC struct {
	// Addr is the DC's private loopback address (127.0.77.N).
	Addr string
	// LDAPSURL is ldaps://Addr:636.
	LDAPSURL string
	// LDAPURL is ldap://Addr:389, for StartTLS (AD refuses simple binds in clear).
	LDAPURL string
	// CAFile is the PEM of the CA that signed the DC certificate. The
	// certificate names Addr (IP SAN), ServerName and localhost, so a client
	// verifies it with ServerName or with the URL's host.
	CAFile string
	// ServerName is the TLS server name to verify (ServerName constant).
	ServerName string
	// Realm, Domain and BaseDN repeat the package constants.
	Realm, Domain, BaseDN string
	// AdminDN and AdminPassword are the domain Administrator's credentials.
	AdminDN, AdminPassword string
	// BindDN and BindPassword are a plain service account for searches.
	BindDN, BindPassword string
	// Dir holds the DC's configuration, databases, certificates and log.
	Dir string
	// PID is the samba process (also its process group).
	PID int

	python string // interpreter that has Samba's ldb module
	proc   *process
}

// StartDC starts a domain controller for t and stops it (SIGTERM to its
// process group, then wait) in t.Cleanup. It skips t with an install hint
// when Samba is missing or the test does not run as root on Linux, unless
// RADIUSD_INTEGRATION_REQUIRED=1, which turns the skip into a failure.
// A cold start (provisioning the template) takes about 10s, a warm one 1-2s.
func StartDC(t testing.TB) *DC {
	t.Helper()
	started := time.Now()
	tl := findTools(t)
	tmpl, built, err := ensureTemplate(tl)
	if err != nil {
		t.Fatalf("adtest: %v", err)
	}
	if built {
		t.Logf("adtest: provisioned template %s in %v", tmpl, time.Since(started).Round(time.Millisecond))
	}
	addr, release, err := allocateAddr()
	if err != nil {
		t.Fatalf("adtest: %v", err)
	}
	t.Cleanup(release)
	dc := newDC(addr, t.TempDir(), tl.python)
	if err := dc.prepare(tmpl); err != nil {
		t.Fatalf("adtest: %v", err)
	}
	dc.start(t, tl.samba)
	t.Logf("adtest: DC %s ready in %v", dc.LDAPSURL, time.Since(started).Round(time.Millisecond))
	return dc
}

func newDC(addr, dir, python string) *DC {
	return &DC{
		Addr:          addr,
		LDAPSURL:      "ldaps://" + addr + ":636",
		LDAPURL:       "ldap://" + addr + ":389",
		CAFile:        dir + "/tls/ca.pem",
		ServerName:    ServerName,
		Realm:         Realm,
		Domain:        Domain,
		BaseDN:        BaseDN,
		AdminDN:       "CN=Administrator," + usersDN,
		AdminPassword: adminPassword,
		BindDN:        "CN=" + serviceName + "," + usersDN,
		BindPassword:  servicePassword,
		Dir:           dir,
		python:        python,
	}
}

// TLSConfig returns a client configuration that verifies the DC
// certificate against CAFile with ServerName.
func (dc *DC) TLSConfig() (*tls.Config, error) {
	pem, err := os.ReadFile(dc.CAFile)
	if err != nil {
		return nil, fmt.Errorf("adtest: read CA: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("adtest: no certificate in %s", dc.CAFile)
	}
	return &tls.Config{RootCAs: pool, ServerName: dc.ServerName, MinVersion: tls.VersionTLS12}, nil
}

// UserDN returns the DN AddUser gives the account name.
func (dc *DC) UserDN(name string) string {
	return "CN=" + goldap.EscapeDN(name) + "," + usersDN
}

// GroupDN returns the DN AddGroup gives the group name.
func (dc *DC) GroupDN(name string) string { return dc.UserDN(name) }

// UPN returns the userPrincipalName AddUser gives name (name@example.test).
func (dc *DC) UPN(name string) string { return name + "@" + strings.ToLower(Realm) }

// skip skips t, or fails it when RADIUSD_INTEGRATION_REQUIRED=1.
func skip(t testing.TB, format string, args ...any) {
	t.Helper()
	if os.Getenv(requiredEnv) == "1" {
		t.Fatalf(format+" ("+requiredEnv+"=1)", args...)
	}
	t.Skipf(format, args...)
}

// checkPlatform skips where a Samba AD DC cannot run.
func checkPlatform(t testing.TB) {
	t.Helper()
	if runtime.GOOS != "linux" {
		skip(t, "adtest: a Samba AD DC needs Linux, not %s", runtime.GOOS)
	}
	if os.Geteuid() != 0 {
		skip(t, "adtest: a Samba AD DC must run as root (euid %d)", os.Geteuid())
	}
}
