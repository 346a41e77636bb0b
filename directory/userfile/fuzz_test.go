package userfile

import (
	"strings"
	"testing"

	"radiusd/directory"
)

// FuzzLoad feeds arbitrary bytes to the users-file parser. Properties: no
// panic; every problem line carries the file name prefix; a successful
// load holds only valid, lower-cased, unique names, each with its hash
// parsed (or none), no empty group, and contacts that are empty or
// pass directory.ValidEmail and directory.ValidMobile.
func FuzzLoad(f *testing.F) {
	seeds := []string{
		"",            // empty file: valid, no users
		"users: []\n", // explicit empty list
		"users:\n  - name: alice\n    password_hash: \"$2a$04$abcdefghijklmnopqrstuu5Zp1mYbQ2hY7b1mJ1o3bCkq7T4Gd6Yi\"\n    groups: [vpn-users]\n    disabled: false\n", // full entry
		"users: [{name: Alice}, {name: alice}]\n", // case-insensitive duplicate
		"users: [{name: \"a\\0b\"}]\n",            // NUL in a name
		"users: [{name: a, password_hash: \"$argon2id$v=19$m=64,t=1,p=1$MDEyMzQ1Njc4OWFiY2RlZg$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaA\"}]\n", // argon2id
		"users: [{name: a, password_hash: \"$argon2id$v=19$m=4294967295,t=1,p=1$MDEy$MDEy\"}]\n",                                             // absurd memory
		"users: [{name: a, pasword_hash: x}]\nextra: 1\n",                                                                                    // unknown keys at two levels
		"users: [{name: [a], disabled: maybe}]\n",                                                                                            // type errors
		"a: &a [*a, *a]\n",                                                          // recursive alias
		"users: [{name: a}]\n---\nusers: []\n",                                      // two documents
		"users:\n  - name: alice\n   password_hash: x\n",                            // bad indentation
		"users: [{name: \"\xff\"}]\n",                                               // invalid UTF-8 in the file itself
		"users: [{name: \"\u0130\"}, {name: \"i\u0307\"}]\n",                        // İ lower-cases to i + combining dot
		"users: [{name: x, groups: ['', \"a\\tb\"]}]\n",                             // bad groups
		"users: !!binary aGVsbG8=\n",                                                // a tag where a list belongs
		"users: [{name: " + strings.Repeat("n", 254) + "}]\n",                       // one byte too long
		"users: [{name: a, email: a@b.example, mobile: '+1 (555) 010-0199'}]\n",     // valid contacts
		"users: [{name: a, email: \"a@b\\r\\nBcc: c@d\", mobile: '+1 555 CALL'}]\n", // header injection, letters
		"users: [{name: a, email: 'x <a@b>', mobile: '12345'}]\n",                   // display name, too few digits
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		set, err := parse("fuzz.yaml", data)
		if err != nil {
			for _, line := range strings.Split(err.Error(), "\nuserfile: ") {
				if !strings.HasPrefix(line, "userfile: fuzz.yaml: ") && !strings.HasPrefix(line, "fuzz.yaml: ") {
					t.Fatalf("problem without the file prefix: %q", line)
				}
			}
			return
		}
		if set.dummy == nil {
			t.Fatal("no dummy hash")
		}
		for key, e := range set.byName {
			if msg := nameProblem(e.user.Name); msg != "" || key != e.user.Name || key != strings.ToLower(key) {
				t.Fatalf("loaded bad name %q under key %q (%s)", e.user.Name, key, msg)
			}
			if e.user.Email != "" && !directory.ValidEmail(e.user.Email) {
				t.Fatalf("loaded bad e-mail address %q", e.user.Email)
			}
			if e.user.Mobile != "" && !directory.ValidMobile(e.user.Mobile) {
				t.Fatalf("loaded bad mobile number %q", e.user.Mobile)
			}
			for _, g := range e.user.Groups {
				if groupProblem(g) != "" {
					t.Fatalf("loaded bad group %q", g)
				}
			}
		}
	})
}
