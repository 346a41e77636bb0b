package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParse feeds arbitrary documents to Parse. Properties: no panic; a nil
// error means the result passes Validate, every client has a non-empty
// shared secret and one parsed prefix per network.
func FuzzParse(f *testing.F) {
	dir := f.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "vpn.secret"), []byte("fuzz-secret-0123456789\n"), 0o600); err != nil {
		f.Fatal(err)
	}
	if example, err := os.ReadFile("../examples/radiusd.yaml"); err == nil {
		f.Add(string(example)) // the shipped example: valid
	}
	for _, seed := range []string{
		minimal, // smallest valid config
		"clients: [{name: a, networks: [10.0.0.0/8, '::1'], secret_file: vpn.secret, mode: auto, separator: ','}]\ndirectory: {file: u}\n", // secret_file, IPv6, separator
		"clients: [{name: a, networks: [127.0.0.1], secret: s, secert: x}]\n",                                                              // unknown key
		"clients:\n\t- name: a\n", // tab indentation
		"totp: {digits: 99999999999999999999999999, period: -9223372036854775808}\nlockout: {duration: 9999999999h}\n", // huge numbers
		"clients: [{name: \"a\x00b\", networks: [\"127.0.0.1\x00\"], secret: \"\x00\"}]\n",                             // NUL bytes inside strings
		"clients: [{name: a\x00}]\n", // raw NUL byte
		"a: &a [x,x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\nusernames: {strip_domains: *c}\n", // alias bomb
		"clients: [&c {name: a, networks: [127.0.0.1], secret: s}, *c, *c]\n",                                                                         // aliased clients: duplicate names
		"totp: &t {<<: *t}\n", // self-referencing merge
		"---\n---\n",          // two empty documents
		"clients: [{name: a, networks: [127.0.0.1], secret: !!binary aGVsbG8=}]\n", // tagged secret
		"listen: [\"[fe80::1%eth0]:1812\", \"0.0.0.0:0\"]\n",                       // zone, port 0
		"clients: [{name: a, networks: [127.0.0.1], secret: s}]\ndirectory: {backend: ldap, ldap: {flavor: ad, urls: ['ldaps://h:636'], bind_dn: x, bind_password_file: vpn.secret, base_dn: 'dc=x', user_filter: '(uid={username})', groups: {search: ad_nested}}}\n",                  // ldap
		"clients: [{name: a, networks: [127.0.0.1], secret: s}]\ndirectory: {file: u}\nreplies: [{group: g, clients: [a], attributes: [{name: Class, value: x}, {vendor: 9, type: 1, value: 'a=b'}, {type: 27, value: '1', format: integer}, {type: 25, value: 00ff, format: hex}]}]\n", // replies
		"",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, doc string) {
		cfg, err := Parse([]byte(doc), dir)
		if err != nil {
			if cfg != nil {
				t.Fatal("non-nil config with an error")
			}
			return
		}
		if err := cfg.Validate(); err != nil {
			t.Fatalf("Parse succeeded but Validate fails: %v", err)
		}
		for i, cl := range cfg.Clients {
			if cl.SharedSecret.IsZero() {
				t.Fatalf("clients[%d] has no secret", i)
			}
			if len(cl.Prefixes) != len(cl.Networks) {
				t.Fatalf("clients[%d]: %d prefixes for %d networks", i, len(cl.Prefixes), len(cl.Networks))
			}
		}
		for i, r := range cfg.Replies {
			for j, a := range r.Attributes {
				if len(a.Encoded) == 0 || len(a.Encoded) > maxAttrValue {
					t.Fatalf("replies[%d].attributes[%d]: %d encoded bytes", i, j, len(a.Encoded))
				}
			}
		}
		for _, w := range cfg.Warnings() {
			if !strings.Contains(w, ": ") {
				t.Fatalf("warning without a path: %q", w)
			}
		}
	})
}
