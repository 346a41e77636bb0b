package ldap

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	goldap "github.com/go-ldap/ldap/v3"

	"radiusd/secret"
)

// logBuffer is a concurrency-safe log sink for a text slog handler.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// logger returns a Debug-level logger writing into a new logBuffer.
func logger() (*slog.Logger, *logBuffer) {
	buf := &logBuffer{}
	return slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug})), buf
}

func TestNewDefaults(t *testing.T) {
	tests := []struct {
		name       string
		flavor     Flavor
		wantFilter string
		wantGroups GroupSearch
		wantAttrs  []string
	}{
		{"openldap", "", DefaultOpenLDAPFilter, GroupsGroupOfNames, []string{"mail", "mobile"}},
		{"ad", ActiveDirectory, DefaultADFilter, GroupsADNested, []string{"userAccountControl", "objectSid", "primaryGroupID", "mail", "mobile"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := New(Config{URLs: []string{"ldap://127.0.0.1"}, BaseDN: "dc=example,dc=org", Flavor: tt.flavor})
			if err != nil {
				t.Fatal(err)
			}
			c := d.cfg
			if c.UserFilter != tt.wantFilter || c.Groups != tt.wantGroups || c.GroupBaseDN != c.BaseDN ||
				c.GroupNameAttribute != "cn" || c.MailAttribute != "mail" || c.MobileAttribute != "mobile" || c.ConnectTimeout != 3*time.Second || c.PoolSize != 16 ||
				!slices.Equal(d.userAttrs, tt.wantAttrs) || d.cache != nil {
				t.Errorf("defaults: %+v attrs %q", c, d.userAttrs)
			}
			if d.targets[0].addr != "127.0.0.1:389" {
				t.Errorf("addr = %q", d.targets[0].addr)
			}
		})
	}
}

func TestNewRejects(t *testing.T) {
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(notPEM, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	ok := Config{URLs: []string{"ldaps://ldap.example.org"}, BaseDN: "dc=example,dc=org"}
	tests := []struct {
		name   string
		change func(*Config)
		want   string
	}{
		{"no URLs", func(c *Config) { c.URLs = nil }, "URLs is empty"},
		{"bad scheme", func(c *Config) { c.URLs = []string{"http://x"} }, "URLs[0]"},
		{"no host", func(c *Config) { c.URLs = []string{"ldap://"} }, "no host"},
		{"user info", func(c *Config) { c.URLs = []string{"ldap://admin:hunter2@x"} }, "user info"},
		{"path", func(c *Config) { c.URLs = []string{"ldap://x/dc=example"} }, "path"},
		{"no base DN", func(c *Config) { c.BaseDN = "" }, "BaseDN is required"},
		{"bad base DN", func(c *Config) { c.BaseDN = "not a dn" }, "BaseDN"},
		{"bad flavor", func(c *Config) { c.Flavor = "novell" }, "Flavor"},
		{"bad groups", func(c *Config) { c.Groups = "nested" }, "Groups"},
		{"filter without placeholder", func(c *Config) { c.UserFilter = "(uid=x)" }, "{username}"},
		{"filter does not compile", func(c *Config) { c.UserFilter = "(uid={username}" }, "UserFilter"},
		{"bind DN without password", func(c *Config) { c.BindDN = "cn=svc,dc=example,dc=org" }, "BindPassword is empty"},
		{"password without bind DN", func(c *Config) { c.BindPassword = secret.New([]byte("hunter2")) }, "BindDN is empty"},
		{"bad group attribute", func(c *Config) { c.GroupNameAttribute = "c n" }, "GroupNameAttribute"},
		{"bad mail attribute", func(c *Config) { c.MailAttribute = "mail)(uid=*" }, `MailAttribute "mail)(uid=*" is not an attribute name`},
		{"mail attribute with option", func(c *Config) { c.MailAttribute = "mail;lang-de" }, "MailAttribute"},
		{"bad mobile attribute", func(c *Config) { c.MobileAttribute = "1mobile" }, `MobileAttribute "1mobile" is not an attribute name`},
		{"mail attribute as OID", func(c *Config) { c.MailAttribute = "0.9.2342.19200300.100.1.3" }, "MailAttribute"},
		{"mobile attribute with NUL", func(c *Config) { c.MobileAttribute = "mobile\x00" }, "MobileAttribute"},
		{"negative pool", func(c *Config) { c.PoolSize = -1 }, "negative"},
		{"missing CA file", func(c *Config) { c.CAFile = filepath.Join(dir, "missing.pem") }, "CAFile"},
		{"CA file without certificate", func(c *Config) { c.CAFile = notPEM }, "no PEM certificate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := ok
			tt.change(&cfg)
			_, err := New(cfg)
			if err == nil || !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "hunter2") {
				t.Errorf("New = %v; want an error with %q and no password", err, tt.want)
			}
		})
	}
}

func TestNewReportsEveryProblem(t *testing.T) {
	_, err := New(Config{Flavor: "x", Groups: "y", PoolSize: -1})
	for _, want := range []string{"URLs is empty", "BaseDN is required", "Flavor", "Groups", "negative"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v lacks %q", err, want)
		}
	}
}

func TestNewWarnsInsecure(t *testing.T) {
	log, buf := logger()
	cfg := Config{URLs: []string{"ldaps://127.0.0.1"}, BaseDN: "dc=example,dc=org", Logger: log}
	if _, err := New(cfg); err != nil || strings.Contains(buf.String(), "InsecureSkipVerify") {
		t.Fatalf("New = %v, log %q", err, buf)
	}
	cfg.InsecureSkipVerify = true
	if _, err := New(cfg); err != nil || !strings.Contains(buf.String(), "level=WARN") {
		t.Fatalf("New = %v, log %q; want a Warn line", err, buf)
	}
}

func TestUserAttributes(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want []string
	}{
		{"custom contacts", Config{MailAttribute: "rfc822Mailbox", MobileAttribute: "telephoneNumber"}, []string{"rfc822Mailbox", "telephoneNumber"}},
		{"member_of", Config{Groups: GroupsMemberOf}, []string{"memberOf", "mail", "mobile"}},
		{"posix without groups", Config{Groups: GroupsPosix, NoGroups: true}, []string{"mail", "mobile"}},
		{"ad without groups", Config{Flavor: ActiveDirectory, NoGroups: true}, []string{"userAccountControl", "mail", "mobile"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := tt.cfg
			cfg.URLs, cfg.BaseDN = []string{"ldap://127.0.0.1"}, "dc=example,dc=org"
			d, err := New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(d.userAttrs, tt.want) {
				t.Errorf("user search attributes = %q, want %q", d.userAttrs, tt.want)
			}
		})
	}
}

func TestToEntryContacts(t *testing.T) {
	log, buf := logger()
	d := &Directory{cfg: Config{MailAttribute: "mail", MobileAttribute: "mobile"}.withDefaults(), log: log}
	tests := []struct {
		name                  string
		attrs                 map[string][]string
		wantEmail, wantMobile string
		wantWarn              bool
	}{
		{"both", map[string][]string{"mail": {"alice@example.org"}, "mobile": {"+49 151 1234567"}}, "alice@example.org", "+49 151 1234567", false},
		{"none", nil, "", "", false},
		{"first value", map[string][]string{"mail": {"a@example.org", "b@example.org"}, "mobile": {"+15550100", "+15550101"}}, "a@example.org", "+15550100", false},
		{"attribute name case", map[string][]string{"MAIL": {"a@example.org"}, "Mobile": {"+15550100"}}, "a@example.org", "+15550100", false},
		{"header injection", map[string][]string{"mail": {"a@example.org\r\nBcc: m@evil.example"}}, "", "", true},
		{"two recipients", map[string][]string{"mail": {"a@example.org,m@evil.example"}}, "", "", true},
		{"letters in number", map[string][]string{"mobile": {"+1 555 CALL NOW"}}, "", "", true},
		{"first invalid, second ignored", map[string][]string{"mobile": {"n/a", "+15550100"}}, "", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := d.toEntry(goldap.NewEntry("uid=alice,dc=example,dc=org", tt.attrs), nil, "alice")
			if err != nil || e.email != tt.wantEmail || e.mobile != tt.wantMobile {
				t.Errorf("toEntry = %+v, %v; want email %q, mobile %q", e, err, tt.wantEmail, tt.wantMobile)
			}
			u := e.user("alice")
			if u.Email != tt.wantEmail || u.Mobile != tt.wantMobile {
				t.Errorf("user = %+v", u)
			}
		})
	}
	if logs := buf.String(); strings.Count(logs, "level=WARN") != 4 || strings.Contains(logs, "evil") || strings.Contains(logs, "CALL") {
		t.Errorf("want 4 Warn lines without the values:\n%s", logs)
	}
}

func TestTargets(t *testing.T) {
	d, err := New(Config{
		URLs:     []string{"ldap://a.example", "ldaps://b.example", "ldap://[::1]:3389"},
		BaseDN:   "dc=example,dc=org",
		StartTLS: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		addr, serverName string
		ldaps, startTLS  bool
	}{
		{"a.example:389", "a.example", false, true},
		{"b.example:636", "b.example", true, false},
		{"[::1]:3389", "::1", false, true},
	}
	for i, w := range want {
		got := d.targets[i]
		if got.addr != w.addr || got.tls.ServerName != w.serverName || got.ldaps != w.ldaps || got.startTLS != w.startTLS {
			t.Errorf("target %d = %+v, want %+v", i, got, w)
		}
	}
}

func TestValidName(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want bool
	}{
		{"plain", "alice", true},
		{"non-ASCII", "émile", true},
		{"filter characters", ")(uid=*", true},
		{"256 bytes", strings.Repeat("a", 256), true},
		{"empty", "", false},
		{"NUL", "alice\x00", false},
		{"invalid UTF-8", "al\xffice", false},
		{"257 bytes", strings.Repeat("a", 257), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := validName(tt.in); got != tt.want {
				t.Errorf("validName(%q) = %v", tt.in, got)
			}
		})
	}
}

func TestGroupName(t *testing.T) {
	tests := []struct {
		name, dn, attr, want string
	}{
		{"cn", "cn=vpn-users,ou=groups,dc=example,dc=org", "cn", "vpn-users"},
		{"case-insensitive type", "CN=VPN Users,OU=Groups,DC=example,DC=org", "cn", "VPN Users"},
		{"escaped comma", `cn=a\,b,ou=groups,dc=example,dc=org`, "cn", "a,b"},
		{"other attribute", "ou=admins,dc=example,dc=org", "cn", "ou=admins,dc=example,dc=org"},
		{"not a DN", "garbage", "cn", "garbage"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := groupName(tt.dn, tt.attr); got != tt.want {
				t.Errorf("groupName(%q) = %q, want %q", tt.dn, got, tt.want)
			}
		})
	}
	got := sortedNames([]string{"cn=b,dc=x", "cn=a,dc=x", "cn=b,ou=y,dc=x"}, "cn")
	if !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("sortedNames = %q", got)
	}
}

func TestCacheUnit(t *testing.T) {
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	c := newCache(time.Minute)
	e := entry{dn: "uid=alice", groups: []string{"g"}}
	c.put("alice", e, now)
	tests := []struct {
		name   string
		user   string
		at     time.Duration
		wantOK bool
	}{
		{"fresh", "alice", 59 * time.Second, true},
		{"expired", "alice", time.Minute, false},
		{"other user", "bob", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := c.get(tt.user, now.Add(tt.at))
			if ok != tt.wantOK || (ok && got.dn != e.dn) {
				t.Errorf("get = %+v, %v", got, ok)
			}
		})
	}
	c.forget("alice")
	if _, ok := c.get("alice", now); ok {
		t.Error("forgotten entry still cached")
	}
	var none *cache = newCache(0)
	none.put("alice", e, now)
	if _, ok := none.get("alice", now); ok || none != nil {
		t.Error("TTL 0 caches")
	}
}
