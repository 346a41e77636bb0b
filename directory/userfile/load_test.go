package userfile

import (
	"fmt"
	"strings"
	"testing"
)

func TestParseValid(t *testing.T) {
	b := bcryptHashOf(t, "pw")
	tests := []struct {
		name, file string
		wantLen    int
	}{
		{name: "empty file", file: "", wantLen: 0},
		{name: "comments only", file: "# nobody yet\n", wantLen: 0},
		{name: "empty list", file: "users: []\n", wantLen: 0},
		{name: "null list", file: "users:\n", wantLen: 0},
		{name: "empty mapping", file: "{}\n", wantLen: 0},
		{name: "explicit document start", file: "---\nusers: [{name: a}]\n", wantLen: 1},
		{name: "all fields", file: fmt.Sprintf("users:\n  - name: alice\n    password_hash: %q\n    groups: [vpn-users]\n    disabled: false\n    email: alice@example.org\n    mobile: '+49 151 1234567'\n", b), wantLen: 1},
		{name: "empty contacts", file: "users: [{name: a, email: '', mobile: ''}]\n", wantLen: 1},
		{name: "no hash", file: "users: [{name: a}, {name: b, password_hash: ''}]\n", wantLen: 2},
		{name: "253-byte name", file: fmt.Sprintf("users: [{name: %s}]\n", strings.Repeat("n", 253)), wantLen: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			set, err := parse("users.yaml", []byte(tt.file))
			if err != nil {
				t.Fatal(err)
			}
			if len(set.byName) != tt.wantLen {
				t.Errorf("users = %d, want %d", len(set.byName), tt.wantLen)
			}
		})
	}
}

// TestParseErrors checks the exact messages (golden strings): every
// problem at once, sorted by line, with the YAML path and never a hash.
func TestParseErrors(t *testing.T) {
	b := bcryptHashOf(t, "pw")
	tests := []struct {
		name, file string
		want       []string // without the "userfile: users.yaml: " prefix
	}{
		{
			name: "unknown keys with lines",
			file: "users:\n  - name: alice\n    pasword_hash: x\n    group: [a]\nuser: []\n",
			want: []string{
				`line 3: unknown key "pasword_hash" in a user (allowed: name, password_hash, groups, disabled, email, mobile)`,
				`line 4: unknown key "group" in a user (allowed: name, password_hash, groups, disabled, email, mobile)`,
				`line 5: unknown key "user" at the top level (allowed: users)`,
			},
		},
		{
			name: "unknown key and validation together",
			file: "users:\n  - name: alice\n    colour: red\n  - name: Alice\n",
			want: []string{
				`line 3: unknown key "colour" in a user (allowed: name, password_hash, groups, disabled, email, mobile)`,
				`line 4: users[1].name: "Alice" is a duplicate of users[0] (names are case-insensitive)`,
			},
		},
		{
			name: "bad names",
			file: fmt.Sprintf("users:\n  - name: ''\n  - {}\n  - name: \"a\\0b\"\n  - name: \"\\xff is ÿ, valid\"\n  - name: %s\n  - name: ' bob'\n  - name: \"x\\ny\"\n",
				strings.Repeat("n", 254)),
			want: []string{
				`line 2: users[0].name: must not be empty`,
				`line 3: users[1].name: must not be empty`,
				`line 4: users[2].name: "a\x00b" contains a control character (NUL, newline, …)`,
				`line 6: users[4].name: is 254 bytes long, more than 253`,
				`line 7: users[5].name: " bob" has leading or trailing white space`,
				`line 8: users[6].name: "x\ny" contains a control character (NUL, newline, …)`,
			},
		},
		{ // YAML's "\xff" is U+00FF, so invalid UTF-8 cannot come from the file: see TestNameProblem
			name: "duplicates",
			file: "users:\n  - name: alice\n  - name: bob\n  - name: ALICE\n  - name: alice\n",
			want: []string{
				`line 4: users[2].name: "ALICE" is a duplicate of users[0] (names are case-insensitive)`,
				`line 5: users[3].name: "alice" is a duplicate of users[0] (names are case-insensitive)`,
			},
		},
		{
			name: "bad hashes, never echoed",
			file: fmt.Sprintf("users:\n  - name: a\n    password_hash: plaintext-secret\n  - name: b\n    password_hash: %q\n  - name: c\n    password_hash: %q\n  - name: d\n    password_hash: %q\n",
				b[:59], "$2b$31$"+b[7:], "$argon2id$v=19$m=4194304,t=3,p=4$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaA"),
			want: []string{
				`line 3: users[0].password_hash: not a bcrypt ($2a$, $2b$, $2y$) or argon2id ($argon2id$v=19$…) hash`,
				`line 5: users[1].password_hash: not a bcrypt ($2a$, $2b$, $2y$) or argon2id ($argon2id$v=19$…) hash`,
				`line 7: users[2].password_hash: bcrypt cost 31 is above the limit of 16`,
				`line 9: users[3].password_hash: argon2id m=4194304 is outside 32–1048576 KiB`,
			},
		},
		{
			name: "bad groups",
			file: "users:\n  - name: a\n    groups:\n      - ok\n      - ''\n      - \"t\\tab\"\n",
			want: []string{
				`line 5: users[0].groups[1]: must not be empty`,
				`line 6: users[0].groups[2]: "t\tab" contains a control character`,
			},
		},
		{
			name: "bad e-mail addresses and mobile numbers",
			file: "users:\n  - name: a\n    email: alice\n    mobile: '12345'\n" +
				"  - name: b\n    email: \"b@example.org\\r\\nBcc: x@y\"\n    mobile: +1 555 CALL\n" +
				"  - {name: c, email: 'c@d@e', mobile: \"0301234567\\n\"}\n" +
				"  - {name: d, email: 'Dee <d@example.org>', mobile: " + strings.Repeat("1", 33) + "}\n" +
				"  - {name: e, email: " + strings.Repeat("e", 300) + "@x}\n",
			want: []string{
				`line 3: users[0].email: "alice" is not an e-mail address (one "@" between non-empty parts; no white space, control characters or any of "(),:;<>[\])`,
				`line 4: users[0].mobile: "12345" is not a mobile number (digits, spaces, +, -, ( and ) only, with 6 to 20 digits)`,
				`line 6: users[1].email: "b@example.org\r\nBcc: x@y" is not an e-mail address (one "@" between non-empty parts; no white space, control characters or any of "(),:;<>[\])`,
				`line 7: users[1].mobile: "+1 555 CALL" is not a mobile number (digits, spaces, +, -, ( and ) only, with 6 to 20 digits)`,
				`line 8: users[2].email: "c@d@e" is not an e-mail address (one "@" between non-empty parts; no white space, control characters or any of "(),:;<>[\])`,
				`line 8: users[2].mobile: "0301234567\n" is not a mobile number (digits, spaces, +, -, ( and ) only, with 6 to 20 digits)`,
				`line 9: users[3].email: "Dee <d@example.org>" is not an e-mail address (one "@" between non-empty parts; no white space, control characters or any of "(),:;<>[\])`,
				`line 9: users[3].mobile: is 33 bytes long, more than 32`,
				`line 10: users[4].email: is 302 bytes long, more than 254`,
			},
		},
		{
			name: "contact of the wrong type",
			file: "users:\n  - name: a\n    email: [a@b]\n    mobile: {n: 1}\n",
			want: []string{
				"line 3: cannot unmarshal !!seq into string",
				"line 4: cannot unmarshal !!map into string",
			},
		},
		{
			name: "misspelt contact keys",
			file: "users:\n  - name: a\n    e-mail: a@b\n    phone: '+491511234567'\n",
			want: []string{
				`line 3: unknown key "e-mail" in a user (allowed: name, password_hash, groups, disabled, email, mobile)`,
				`line 4: unknown key "phone" in a user (allowed: name, password_hash, groups, disabled, email, mobile)`,
			},
		},
		{
			name: "wrong type stops validation",
			file: "users:\n  - name: [a]\n    disabled: maybe\n  - name: ''\n",
			want: []string{
				"line 2: cannot unmarshal !!seq into string",
				"line 3: cannot unmarshal !!str `maybe` into bool",
			},
		},
		{
			name: "not a mapping",
			file: "- alice\n",
			want: []string{"line 1: cannot unmarshal !!seq into userfile.fileDoc"},
		},
		{
			name: "syntax error",
			file: "users:\n  - name: alice\n   password_hash: x\n",
			want: []string{"line 1: did not find expected '-' indicator"}, // yaml.v3's own words
		},
		{
			name: "duplicate key",
			file: "users:\n  - name: alice\n    name: bob\n",
			want: []string{`line 3: mapping key "name" already defined at line 2`},
		},
		{
			name: "two documents",
			file: "users: []\n---\nusers: []\n",
			want: []string{"line 2: only one YAML document is allowed"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parse("users.yaml", []byte(tt.file))
			if err == nil {
				t.Fatal("parse succeeded")
			}
			want := "userfile: users.yaml: " + strings.Join(tt.want, "\nuserfile: users.yaml: ")
			if got := err.Error(); got != want {
				t.Errorf("got:\n%s\nwant:\n%s", got, want)
			}
			if strings.Contains(err.Error(), "plaintext-secret") || strings.Contains(err.Error(), b[7:]) {
				t.Error("the error echoes a password_hash")
			}
		})
	}
}

func TestNameProblem(t *testing.T) {
	tests := []struct {
		name, in string
		ok       bool
	}{
		{name: "plain", in: "alice", ok: true},
		{name: "non-ASCII", in: "zoë", ok: true},
		{name: "inner space", in: "Alice Smith", ok: true},
		{name: "realm", in: `DOMAIN\alice@example.org`, ok: true},
		{name: "253 bytes", in: strings.Repeat("a", 253), ok: true},
		{name: "254 bytes", in: strings.Repeat("a", 254)},
		{name: "empty", in: ""},
		{name: "NUL", in: "a\x00"},
		{name: "invalid UTF-8", in: "a\xffb"},
		{name: "truncated UTF-8", in: "z\xc3"},
		{name: "DEL", in: "a\x7f"},
		{name: "C1 control", in: "a\u0085"},
		{name: "trailing space", in: "alice "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := nameProblem(tt.in); (got == "") != tt.ok {
				t.Errorf("nameProblem(%q) = %q, want ok=%v", tt.in, got, tt.ok)
			}
		})
	}
}
