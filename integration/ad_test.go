//go:build integration

package integration

import (
	"fmt"
	"strings"
	"testing"

	"radiusd/directory/ldap/adtest"
)

// These tests run radiusd against a real Samba AD domain controller
// (adtest: its own 127.0.77.N address, LDAPS with its own CA), one DC per
// test. adtest skips them when Samba is missing or the tests do not run as
// root, unless RADIUSD_INTEGRATION_REQUIRED=1. Like ldaptest (see
// helpers_ldap_test.go), adtest is test tooling that starts a process, not
// product code: it never touches the radiusd binary under test.

// adUsernames strips the DC's NetBIOS domain and realm, so that alice,
// EXAMPLE\alice and alice@example.test are one user.
const adUsernames = "{ lowercase: true, strip_domains: [EXAMPLE], strip_realms: [example.test] }"

// startADServer starts radiusd with dc as its ad-flavor directory over
// LDAPS (CA file and server name from the harness, the service account's
// password in a 0600 file) and adUsernames.
func startADServer(t *testing.T, dc *adtest.DC, o options) *server {
	t.Helper()
	sensitive.remember("password", dc.BindPassword, dc.AdminPassword)
	o.directory = fmt.Sprintf("{ backend: ldap, ldap: { flavor: ad, urls: [%q], ca_file: %q, server_name: %q, "+
		"bind_dn: %q, bind_password_file: svc-password, base_dn: %q } }",
		dc.LDAPSURL, dc.CAFile, dc.ServerName, dc.BindDN, dc.BaseDN)
	o.usernames = adUsernames
	s := newServer(t, o)
	s.writeFile("svc-password", dc.BindPassword+"\n", 0o600)
	s.start()
	return s
}

// adUser creates the account name on dc with a fresh random password.
func adUser(t *testing.T, dc *adtest.DC, name string) user {
	t.Helper()
	u := newUser(name)
	dc.AddUser(t, name, u.password)
	return u
}

// adDecision marks the log line of each RADIUS decision.
const adDecision = `msg="radius decision"`

// TestADLoginForms: password+otp logins as sAMAccountName, NetBIOS
// DOMAIN\user and UPN all reach the one AD account and share one
// enrollment and one replay record: a code used under one form is
// rejected as a replay under another.
func TestADLoginForms(t *testing.T) {
	t.Parallel()
	dc := adtest.StartDC(t)
	alice := adUser(t, dc, "alice")
	s := startADServer(t, dc, options{})
	a := s.enroll(alice)
	netbios, upn := adtest.Domain+`\alice`, dc.UPN("alice")
	s.run([]step{
		{"sAMAccountName", pap("alice", a.password+a.code(t, 0)), accept, ""},
		{"its code again as DOMAIN\\user", pap(netbios, a.password+a.code(t, 0)), reject, msgFailed},
		{"DOMAIN\\user", pap(netbios, a.password+a.code(t, 1)), accept, ""},
		{"its code again as UPN", pap(upn, a.password+a.code(t, 1)), reject, msgFailed},
		{"UPN with a recovery code", pap(upn, a.password+a.recovery[0]), accept, ""},
		{"that recovery code again, upper case", pap("ALICE@EXAMPLE.TEST", a.password+a.recovery[0]), reject, msgFailed},
	})
	lines := s.logLines(6, adDecision)
	if len(lines) != 6 {
		t.Fatalf("%d decision lines, want 6:\n%s", len(lines), s.log())
	}
	for i, l := range lines {
		if !strings.Contains(l, " user=alice ") {
			t.Errorf("decision %d is not for the normalised user alice: %s", i, l)
		}
	}
	for _, i := range []int{1, 3} {
		if !strings.Contains(lines[i], "reason=replayed_code") {
			t.Errorf("decision %d: want reason=replayed_code: %s", i, lines[i])
		}
	}
}

// TestADPolicyGroups: with enforce: groups and policy.groups [G2], a user
// in G1, itself in G2, must use a second factor (nested membership), and
// a user in no group logs in with the password alone.
func TestADPolicyGroups(t *testing.T) {
	t.Parallel()
	dc := adtest.StartDC(t)
	alice, bob := adUser(t, dc, "alice"), adUser(t, dc, "bob")
	dc.AddGroup(t, "G1")
	dc.AddGroup(t, "G2")
	dc.AddMember(t, "G1", "alice")
	dc.AddMember(t, "G2", "G1")
	s := startADServer(t, dc, options{enforce: "groups", policyGroups: []string{"G2"}})
	s.run([]step{
		{"nested member must enroll", pap("alice", alice.password), reject, msgEnroll},
		{"nested member must enroll, as UPN", pap(dc.UPN("alice"), alice.password), reject, msgEnroll},
		{"no group, password alone", pap("bob", bob.password), accept, ""},
		{"no group, wrong password", pap("bob", "x"+bob.password), reject, msgFailed},
	})
	a := s.enroll(alice)
	s.run([]step{
		{"enrolled member, password and code", pap(`EXAMPLE\alice`, a.password+a.code(t, 0)), accept, ""},
		{"enrolled member, password alone", pap("alice", a.password), reject, msgFailed},
	})
}

// TestADPrimaryGroup: a policy on Domain Users, every user's primary group
// (which AD does not list in the group's member attribute), applies to a
// user in no other group.
func TestADPrimaryGroup(t *testing.T) {
	t.Parallel()
	dc := adtest.StartDC(t)
	bob := adUser(t, dc, "bob")
	s := startADServer(t, dc, options{enforce: "groups", policyGroups: []string{"Domain Users"}})
	s.run([]step{
		{"primary group member must enroll", pap("bob", bob.password), reject, msgEnroll},
	})
}

// TestADDisabledAccount: an enrolled user whose account is disabled is
// rejected with a right password and code, and no bind is made (AD's
// badPwdCount is unchanged after a request with a wrong password).
func TestADDisabledAccount(t *testing.T) {
	t.Parallel()
	dc := adtest.StartDC(t)
	alice := adUser(t, dc, "alice")
	s := startADServer(t, dc, options{})
	a := s.enroll(alice)
	dc.DisableUser(t, "alice")
	s.run([]step{
		{"right password and code", pap("alice", a.password+a.code(t, 0)), reject, msgFailed},
		{"wrong password, right code", pap("alice", "x"+a.password+a.code(t, 1)), reject, msgFailed},
	})
	if n := dc.BadPwdCount(t, "alice"); n != 0 {
		t.Errorf("badPwdCount = %d, want 0: a bind was sent for a disabled account", n)
	}
	for i, l := range s.logLines(2, adDecision) {
		if !strings.Contains(l, "reason=disabled") {
			t.Errorf("decision %d: want reason=disabled: %s", i, l)
		}
	}
}

// TestADPasswordRefused: AD refuses the bind of an account whose password
// expired (sub-code 532) or must be changed (773); radiusd rejects and
// logs the sub-code and its reason, never the password.
func TestADPasswordRefused(t *testing.T) {
	t.Parallel()
	dc := adtest.StartDC(t)
	alice, bob := adUser(t, dc, "alice"), adUser(t, dc, "bob")
	s := startADServer(t, dc, options{})
	tests := []struct {
		name   string
		user   user
		setup  func(testing.TB, string)
		reason string
	}{
		{"password expired", alice, dc.ExpirePassword, `ad_code=532 reason="password expired"`},
		{"must change password", bob, dc.MustChangePassword, `ad_code=773 reason="password must be reset"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := s.with(t)
			a := s.enroll(tt.user)
			tt.setup(t, a.name)
			expect(t, s.auth(pap(a.name, a.password+a.code(t, 0))...), reject, msgFailed)
			if len(s.logLines(1, `msg="ldap bind refused"`, "user="+a.name+" "+tt.reason)) != 1 {
				t.Errorf("no ldap bind refused line for %s with %s:\n%s", a.name, tt.reason, s.log())
			}
			if len(s.logLines(1, adDecision, "user="+a.name+" ", "reason=disabled")) != 1 {
				t.Errorf("no decision for %s with reason=disabled:\n%s", a.name, s.log())
			}
			if strings.Contains(s.log(), a.password) {
				t.Errorf("the log holds the password:\n%s", s.log())
			}
		})
	}
}

// TestADBadPwdCount: in password+otp mode the code is checked first, so
// wrong codes with the right password never reach AD (badPwdCount stays
// 0, the account cannot be locked out by guessing codes); a wrong password
// with a right code costs exactly one bad password.
func TestADBadPwdCount(t *testing.T) {
	t.Parallel()
	dc := adtest.StartDC(t)
	alice := adUser(t, dc, "alice")
	s := startADServer(t, dc, options{maxFailures: 50})
	a := s.enroll(alice)
	for i, wrong := range a.key.wrongCodes(t, a.base, 10) {
		if r := s.auth(pap("alice", a.password+wrong)...); r.code != reject {
			t.Fatalf("wrong code %d: got %q, want %q", i, r.code, reject)
		}
	}
	if n := dc.BadPwdCount(t, "alice"); n != 0 {
		t.Fatalf("badPwdCount = %d after 10 wrong codes, want 0", n)
	}
	expect(t, s.auth(pap("alice", "x"+a.password+a.code(t, 0))...), reject, msgFailed)
	if n := dc.BadPwdCount(t, "alice"); n != 1 {
		t.Errorf("badPwdCount = %d after one wrong password, want 1", n)
	}
	expect(t, s.auth(pap("alice", a.password+a.code(t, 1))...), accept, "")
}
