package ldap

import (
	"context"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"radiusd/directory"
	"radiusd/directory/ldap/ldaptest"
)

// contactsLDIF adds users whose contacts are hostile or in other
// attributes. Both reuse carol's password hash ("carol-password").
var contactsLDIF = `dn: uid=eve,ou=people,dc=example,dc=org
objectClass: inetOrgPerson
uid: eve
cn: Eve Example
sn: Hostile
mail:: ` + base64.StdEncoding.EncodeToString([]byte("eve@example.org\r\nBcc: mallory@evil.example")) + `
mobile: call me maybe
userPassword: {SSHA}zO1ok4HpUZHBYLChRX+xMvhvdVDQtYOR

dn: uid=grace,ou=people,dc=example,dc=org
objectClass: inetOrgPerson
uid: grace
cn: Grace Example
sn: Other
description: grace@example.org
homePhone: 030 1234567
userPassword: {SSHA}zO1ok4HpUZHBYLChRX+xMvhvdVDQtYOR
`

// contactCall is Lookup or Authenticate, with the password of the base
// data where Authenticate needs one.
type contactCall func(ctx context.Context, d *Directory, user string) (directory.User, error)

func contactCalls() map[string]contactCall {
	return map[string]contactCall{
		"Lookup": func(ctx context.Context, d *Directory, user string) (directory.User, error) {
			return d.Lookup(ctx, user)
		},
		"Authenticate": func(ctx context.Context, d *Directory, user string) (directory.User, error) {
			pw := user + "-password"
			if user == "eve" || user == "grace" {
				pw = "carol-password"
			}
			return d.Authenticate(ctx, user, pw)
		},
	}
}

func TestContacts(t *testing.T) {
	s := ldaptest.StartSlapd(t, ldaptest.Options{LDIF: []string{contactsLDIF}})
	tests := []struct {
		name, mailAttr, mobileAttr  string
		user, wantEmail, wantMobile string
		wantWarn                    bool
	}{
		{"both", "", "", "alice", "alice@example.org", "+49 151 1234567", false},
		{"first of two mail values", "", "", "bob", "bob@example.org", "+1 (555) 010-0199", false},
		{"none", "", "", "carol", "", "", false},
		{"header injection and letters refused", "", "", "eve", "", "", true},
		{"custom attributes", "description", "homePhone", "grace", "grace@example.org", "030 1234567", false},
		{"custom mobile attribute", "", "telephoneNumber", "dave", "", "+33 1 23 45 67 89", false},
		{"attribute name case", "MAIL", "Mobile", "alice", "alice@example.org", "+49 151 1234567", false},
		{"an alias is not the primary name", "rfc822Mailbox", "", "alice", "", "+49 151 1234567", false},
	}
	for _, tt := range tests {
		for call, do := range contactCalls() {
			t.Run(tt.name+"/"+call, func(t *testing.T) {
				cfg := config(s)
				log, logs := logger()
				cfg.Logger, cfg.MailAttribute, cfg.MobileAttribute = log, tt.mailAttr, tt.mobileAttr
				d := open(t, cfg)
				u, err := do(budget(t, 5*time.Second), d, tt.user)
				if err != nil || u.Email != tt.wantEmail || u.Mobile != tt.wantMobile {
					t.Fatalf("%s(%s) = %+v, %v; want email %q, mobile %q", call, tt.user, u, err, tt.wantEmail, tt.wantMobile)
				}
				if warned := strings.Contains(logs.String(), "level=WARN"); warned != tt.wantWarn {
					t.Errorf("Warn logged %v, want %v: %s", warned, tt.wantWarn, logs)
				}
				if strings.Contains(logs.String(), "mallory") || strings.Contains(logs.String(), "maybe") {
					t.Errorf("log holds a refused value: %s", logs)
				}
			})
		}
	}
}

// TestContactsInTheUserSearch checks that the contacts come with the user
// search itself: no extra round trip.
func TestContactsInTheUserSearch(t *testing.T) {
	s := ldaptest.StartSlapd(t, ldaptest.Options{})
	for _, groups := range []GroupSearch{GroupsGroupOfNames, GroupsMemberOf} {
		t.Run(string(groups), func(t *testing.T) {
			for _, noGroups := range []bool{false, true} {
				cfg := config(s)
				cfg.Groups, cfg.NoGroups = groups, noGroups
				d := open(t, cfg)
				u, err := d.Lookup(t.Context(), "alice")
				want := uint64(1) // the user search
				if groups == GroupsGroupOfNames && !noGroups {
					want = 2 // and the group search
				}
				if err != nil || u.Email != "alice@example.org" || u.Mobile != "+49 151 1234567" || d.Stats().Searches != want {
					t.Errorf("NoGroups %v: Lookup = %+v, %v after %d searches, want %d", noGroups, u, err, d.Stats().Searches, want)
				}
			}
		})
	}
}

func TestCacheCarriesContacts(t *testing.T) {
	s := ldaptest.StartSlapd(t, ldaptest.Options{})
	cfg := config(s)
	cfg.CacheTTL = time.Minute
	d := open(t, cfg)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	d.now = func() time.Time { return now }
	if _, err := d.Lookup(t.Context(), "bob"); err != nil {
		t.Fatal(err)
	}
	searches := d.Stats().Searches
	for call, do := range contactCalls() {
		u, err := do(t.Context(), d, "bob")
		if err != nil || u.Email != "bob@example.org" || u.Mobile != "+1 (555) 010-0199" {
			t.Errorf("cached %s = %+v, %v", call, u, err)
		}
	}
	if st := d.Stats(); st.Searches != searches || st.CacheHits != 2 {
		t.Errorf("stats %+v: want no search after the first (%d) and 2 cache hits", st, searches)
	}
}
