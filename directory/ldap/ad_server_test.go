package ldap

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"radiusd/directory"
	"radiusd/directory/ldap/adtest"
	"radiusd/secret"
)

// These tests run the driver against a real Samba AD DC (adtest) with the
// ad flavor's defaults: the sAMAccountName-or-UPN filter and ad_nested
// groups. They skip when Samba is not installed or the tests do not run as
// root, unless RADIUSD_INTEGRATION_REQUIRED=1. Each test starts its own DC.

// adConfig returns an ad-flavor Config for dc over LDAPS with the service
// account, verifying the DC certificate with its CA and server name.
func adConfig(dc *adtest.DC) Config {
	log, _ := logger()
	return Config{
		URLs:         []string{dc.LDAPSURL},
		CAFile:       dc.CAFile,
		ServerName:   dc.ServerName,
		BindDN:       dc.BindDN,
		BindPassword: secret.New([]byte(dc.BindPassword)),
		BaseDN:       dc.BaseDN,
		Flavor:       ActiveDirectory,
		Logger:       log,
	}
}

// hostileADName is a valid sAMAccountName full of LDAP filter and DN
// metacharacters: parentheses, ampersand, quote, a leading '#', non-ASCII.
const hostileADName = "#o'hara(x)&é"

// startADDomain starts a DC holding alice and hostileADName (in G1, G1 in
// G2: nested), bob (in no group but his primary group, Domain Users) and
// carol; each user's password is
// "<name>-password".
func startADDomain(t *testing.T) *adtest.DC {
	t.Helper()
	dc := adtest.StartDC(t)
	for _, name := range []string{"alice", "bob", "carol", hostileADName} {
		dc.AddUser(t, name, name+"-password")
	}
	dc.AddGroup(t, "G1")
	dc.AddGroup(t, "G2")
	dc.AddMember(t, "G1", "alice")
	dc.AddMember(t, "G1", hostileADName)
	dc.AddMember(t, "G2", "G1")
	return dc
}

func TestADAuthenticate(t *testing.T) {
	dc := startADDomain(t)
	cfg := adConfig(dc)
	log, logs := logger()
	cfg.Logger = log
	d := open(t, cfg)
	tests := []struct {
		name, user, password string
		wantGroups           []string
		wantErr              error
	}{
		{"sAMAccountName, nested groups", "alice", "alice-password", []string{"Domain Users", "G1", "G2"}, nil},
		{"UPN, nested groups", dc.UPN("alice"), "alice-password", []string{"Domain Users", "G1", "G2"}, nil},
		{"upper-case sAMAccountName", "ALICE", "alice-password", []string{"Domain Users", "G1", "G2"}, nil},
		{"only the primary group", "bob", "bob-password", []string{"Domain Users"}, nil},
		{"metacharacters in name and DN", hostileADName, hostileADName + "-password", []string{"Domain Users", "G1", "G2"}, nil},
		{"filter injection", "*", "alice-password", nil, directory.ErrInvalidCredentials},
		{"filter injection, OR", "alice)(sAMAccountName=*", "alice-password", nil, directory.ErrInvalidCredentials},
		{"unknown user", "mallory", "alice-password", nil, directory.ErrInvalidCredentials},
		{"NetBIOS form is not a login name here", adtest.Domain + `\alice`, "alice-password", nil, directory.ErrInvalidCredentials},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := d.Authenticate(budget(t, 10*time.Second), tt.user, tt.password)
			if !errors.Is(err, tt.wantErr) || (err != nil && !isSentinel(err)) {
				t.Fatalf("Authenticate(%q) = %v, want %v", tt.user, err, tt.wantErr)
			}
			if err == nil && (u.Name != tt.user || !slices.Equal(u.Groups, tt.wantGroups) || u.Disabled) {
				t.Errorf("user = %+v, want name %q, groups %q", u, tt.user, tt.wantGroups)
			}
		})
	}
	for _, pw := range []string{"alice-password", "bob-password", dc.BindPassword} {
		if strings.Contains(logs.String(), pw) {
			t.Errorf("log holds a password: %s", logs)
		}
	}
}

// TestADContacts: AD's mail and mobile attributes (the defaults) and a
// custom attribute come back from Lookup and Authenticate.
func TestADContacts(t *testing.T) {
	dc := adtest.StartDC(t)
	dc.AddUser(t, "alice", "alice-password")
	dc.SetAttribute(t, "alice", "mail", "alice@example.test")
	dc.SetAttribute(t, "alice", "mobile", "+49 151 1234567")
	dc.SetAttribute(t, "alice", "telephoneNumber", "+49 30 1234567")
	tests := []struct {
		name, mobileAttr, wantMobile string
	}{
		{"defaults", "", "+49 151 1234567"},
		{"custom mobile attribute", "telephoneNumber", "+49 30 1234567"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := adConfig(dc)
			cfg.MobileAttribute = tt.mobileAttr
			d := open(t, cfg)
			for call, do := range contactCalls() {
				got, err := do(budget(t, 10*time.Second), d, "alice")
				if err != nil || got.Email != "alice@example.test" || got.Mobile != tt.wantMobile {
					t.Errorf("%s = %+v, %v; want mail alice@example.test, mobile %q", call, got, err, tt.wantMobile)
				}
			}
		})
	}
}

// TestADWrongPassword: a wrong password is invalid credentials and costs
// the account exactly one bad password (one bind).
func TestADWrongPassword(t *testing.T) {
	dc := startADDomain(t)
	cfg := adConfig(dc)
	log, logs := logger()
	cfg.Logger = log
	d := open(t, cfg)
	_, err := d.Authenticate(budget(t, 10*time.Second), "carol", "not-carols")
	if !errors.Is(err, directory.ErrInvalidCredentials) {
		t.Fatalf("Authenticate = %v, want ErrInvalidCredentials", err)
	}
	if n := dc.BadPwdCount(t, "carol"); n != 1 {
		t.Errorf("badPwdCount = %d, want 1", n)
	}
	if got := d.Stats().UserBinds; got != 1 {
		t.Errorf("user binds = %d, want 1", got)
	}
	if !strings.Contains(logs.String(), "ad_code=52e") || strings.Contains(logs.String(), "not-carols") {
		t.Errorf("log %q: want ad_code=52e and no password", logs)
	}
}

// TestADDisabled: an account with ACCOUNTDISABLE is refused from its
// userAccountControl, before any user bind, so its badPwdCount never
// moves, whatever the password; Lookup refuses it too.
func TestADDisabled(t *testing.T) {
	dc := startADDomain(t)
	dc.DisableUser(t, "carol")
	d := open(t, adConfig(dc))
	for _, pw := range []string{"carol-password", "not-carols"} {
		if _, err := d.Authenticate(budget(t, 10*time.Second), "carol", pw); !errors.Is(err, directory.ErrDisabled) {
			t.Errorf("Authenticate = %v, want ErrDisabled", err)
		}
	}
	if _, err := d.Lookup(budget(t, 10*time.Second), dc.UPN("carol")); !errors.Is(err, directory.ErrDisabled) {
		t.Errorf("Lookup = %v, want ErrDisabled", err)
	}
	if s := d.Stats(); s.UserBinds != 0 {
		t.Errorf("user binds = %d, want 0", s.UserBinds)
	}
	if n := dc.BadPwdCount(t, "carol"); n != 0 {
		t.Errorf("badPwdCount = %d, want 0: a bind was sent", n)
	}
}

func TestADLookup(t *testing.T) {
	dc := startADDomain(t)
	d := open(t, adConfig(dc))
	tests := []struct {
		name, user string
		wantGroups []string
		wantErr    error
	}{
		{"nested groups", "alice", []string{"Domain Users", "G1", "G2"}, nil},
		{"UPN, only the primary group", dc.UPN("bob"), []string{"Domain Users"}, nil},
		{"unknown", "mallory", nil, directory.ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := d.Lookup(budget(t, 10*time.Second), tt.user)
			if !errors.Is(err, tt.wantErr) || (err == nil && !slices.Equal(u.Groups, tt.wantGroups)) {
				t.Errorf("Lookup(%q) = %+v, %v; want groups %q, %v", tt.user, u, err, tt.wantGroups, tt.wantErr)
			}
		})
	}
	if s := d.Stats(); s.UserBinds != 0 {
		t.Errorf("user binds = %d, want 0", s.UserBinds)
	}
}

// TestADBindSubCodes: AD refuses the bind of an account whose password
// expired (532) or must be changed (773) although the password is right;
// both are ErrDisabled, logged with the sub-code and never the password.
func TestADBindSubCodes(t *testing.T) {
	dc := startADDomain(t)
	tests := []struct {
		name, user, code, reason string
		setup                    func(testing.TB, string)
	}{
		{"password expired", "alice", "532", "password expired", dc.ExpirePassword},
		{"must change password", "bob", "773", "password must be reset", dc.MustChangePassword},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.setup(t, tt.user)
			cfg := adConfig(dc)
			log, logs := logger()
			cfg.Logger = log
			d := open(t, cfg)
			_, err := d.Authenticate(budget(t, 10*time.Second), tt.user, tt.user+"-password")
			if !errors.Is(err, directory.ErrDisabled) {
				t.Fatalf("Authenticate = %v, want ErrDisabled", err)
			}
			want := "user=" + tt.user + " ad_code=" + tt.code + ` reason="` + tt.reason + `"`
			if !strings.Contains(logs.String(), want) || !strings.Contains(logs.String(), "level=INFO") {
				t.Errorf("log %q lacks %q at Info", logs, want)
			}
			if strings.Contains(logs.String(), tt.user+"-password") {
				t.Errorf("log holds the password: %s", logs)
			}
		})
	}
}

// TestADStartTLS: the same login over ldap:// upgraded with StartTLS.
func TestADStartTLS(t *testing.T) {
	dc := startADDomain(t)
	cfg := adConfig(dc)
	cfg.URLs, cfg.StartTLS = []string{dc.LDAPURL}, true
	d := open(t, cfg)
	u, err := d.Authenticate(budget(t, 10*time.Second), dc.UPN("alice"), "alice-password")
	if err != nil || !slices.Equal(u.Groups, []string{"Domain Users", "G1", "G2"}) {
		t.Errorf("Authenticate = %+v, %v; want groups [Domain Users G1 G2]", u, err)
	}
}
