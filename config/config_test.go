package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"maps"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

// minimal is the smallest valid configuration.
const minimal = `
clients:
  - name: vpn
    networks: [127.0.0.1]
    secret: "SUPERSECRET-minimal-0123456789"
directory:
  file: users.yaml
`

func TestExampleConfig(t *testing.T) {
	cfg, err := Load("../examples/radiusd.yaml")
	if err != nil {
		t.Fatalf("examples/radiusd.yaml: %v", err)
	}
	if w := cfg.Warnings(); len(w) != 0 {
		t.Errorf("examples/radiusd.yaml has warnings: %q", w)
	}
	dir, _ := filepath.Abs("../examples")
	tests := []struct {
		name      string
		got, want any
	}{
		{"listen", cfg.Listen, []string{"127.0.0.1:1812"}},
		{"clients", len(cfg.Clients), 1},
		{"clients[0].name", cfg.Clients[0].Name, "local"},
		{"clients[0].prefixes", cfg.Clients[0].Prefixes, []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}},
		{"clients[0].mode", cfg.Clients[0].Mode, "password+otp"},
		{"clients[0].secret length", cfg.Clients[0].SharedSecret.Len(), 32},
		{"store.path", cfg.Store.Path, filepath.Join(dir, "data/radiusd.db")},
		{"store.key_file", cfg.Store.KeyFile, filepath.Join(dir, "data/radiusd.key")},
		{"directory.file", cfg.Directory.File, filepath.Join(dir, "users.yaml")},
		{"usernames.strip_domains", cfg.Usernames.StripDomains, []string{"EXAMPLE"}},
		{"usernames.strip_realms", cfg.Usernames.StripRealms, []string{"example.org"}},
		{"totp.issuer", cfg.TOTP.Issuer, "radiusd example"},
		{"policy.enforce", cfg.Policy.Enforce, "all"},
		{"policy.enroll_url", cfg.Policy.EnrollURL, "http://127.0.0.1:8080/enroll"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !reflect.DeepEqual(tt.got, tt.want) {
				t.Errorf("got %v, want %v", tt.got, tt.want)
			}
		})
	}
}

func TestDefaults(t *testing.T) {
	cfg, err := Parse([]byte(minimal), "/etc/radiusd")
	if err != nil {
		t.Fatal(err)
	}
	cl := cfg.Clients[0]
	tests := []struct {
		path      string
		got, want any
	}{
		{"listen", cfg.Listen, []string{"127.0.0.1:1812"}},
		{"radius.request_timeout", cfg.RADIUS.RequestTimeout, 2 * time.Second},
		{"radius.duplicate_ttl", cfg.RADIUS.DuplicateTTL, 30 * time.Second},
		{"clients[0].mode", cl.Mode, "password+otp"},
		{"clients[0].separator", cl.Separator, ""},
		{"clients[0].require_message_authenticator", cl.RequiresMessageAuthenticator(), true},
		{"clients[0].require_message_authenticator set", cl.RequireMessageAuthenticator != nil && *cl.RequireMessageAuthenticator, true},
		{"clients[0] prefixes (bare address is /32)", cl.Prefixes, []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}},
		{"store.driver", cfg.Store.Driver, "sqlite"},
		{"store.path", cfg.Store.Path, "/etc/radiusd/data/radiusd.db"},
		{"store.key_file", cfg.Store.KeyFile, "/etc/radiusd/data/radiusd.key"},
		{"store.synchronous", cfg.Store.Synchronous, "normal"},
		{"directory.backend", cfg.Directory.Backend, "file"},
		{"directory.file", cfg.Directory.File, "/etc/radiusd/users.yaml"},
		{"directory.max_concurrent_hashes", cfg.Directory.MaxConcurrentHashes, 0},
		{"usernames.lowercase", cfg.Usernames.Lowercase, true},
		{"usernames.strip_domains", len(cfg.Usernames.StripDomains), 0},
		{"usernames.strip_realms", len(cfg.Usernames.StripRealms), 0},
		{"totp", cfg.TOTP, TOTP{Issuer: "radiusd", Digits: 6, Period: 30, Algorithm: "SHA1", Skew: 1, MaxDrift: 4}},
		{"recovery_codes.count", cfg.RecoveryCodes.Count, 8},
		{"policy.enforce", cfg.Policy.Enforce, "all"},
		{"policy.groups", len(cfg.Policy.Groups), 0},
		{"policy.enroll_url", cfg.Policy.EnrollURL, ""},
		{"policy.grace_period", cfg.Policy.GracePeriod, time.Duration(0)},
		{"challenge.timeout", cfg.Challenge.Timeout, 2 * time.Minute},
		{"challenge.prompt", cfg.Challenge.Prompt, "Enter the code from your authenticator app"},
		{"lockout", cfg.Lockout, Lockout{MaxFailures: 10, Duration: 15 * time.Minute}},
		{"log", cfg.Log, Log{Level: "info", Format: "text"}},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			if !reflect.DeepEqual(tt.got, tt.want) {
				t.Errorf("got %v, want %v", tt.got, tt.want)
			}
		})
	}
}

// TestExplicitValues checks that a key set to a zero or non-default value
// keeps it (defaults only fill omitted keys).
func TestExplicitValues(t *testing.T) {
	tests := []struct {
		name  string
		yaml  string
		check func(*Config) any
		want  any
	}{
		{"skew 0", "totp: {skew: 0}", func(c *Config) any { return c.TOTP.Skew }, 0},
		{"max_drift 0", "totp: {max_drift: 0}", func(c *Config) any { return c.TOTP.MaxDrift }, 0},
		{"max_failures 0", "lockout: {max_failures: 0}", func(c *Config) any { return c.Lockout.MaxFailures }, 0},
		{"lowercase false", "usernames: {lowercase: false}", func(c *Config) any { return c.Usernames.Lowercase }, false},
		{"null section keeps defaults", "totp:", func(c *Config) any { return c.TOTP.Digits }, 6},
		{"null listen is the default", "listen: ~", func(c *Config) any { return c.Listen }, []string{DefaultListen}},
		{"ipv6 listen", `listen: ["[::1]:1812", "127.0.0.1:0"]`, func(c *Config) any { return len(c.Listen) }, 2},
		{"absolute path kept", "store: {path: /var/lib/radiusd/db}", func(c *Config) any { return c.Store.Path }, "/var/lib/radiusd/db"},
		{"durations", "challenge: {timeout: 90s}", func(c *Config) any { return c.Challenge.Timeout }, 90 * time.Second},
		{"masked ipv6", "clients: [{name: v6, networks: ['2001:db8::/32', '::1'], secret: SUPERSECRET-v6-0123456789}]",
			func(c *Config) any { return c.Clients[1].Prefixes },
			[]netip.Prefix{netip.MustParsePrefix("2001:db8::/32"), netip.MustParsePrefix("::1/128")}},
		{"require_message_authenticator false", "clients: [{name: old, networks: [10.0.0.0/8], secret: SUPERSECRET-old-0123456789, require_message_authenticator: false}]",
			func(c *Config) any { return c.Clients[1].RequiresMessageAuthenticator() }, false},
		{"overlapping networks", "clients: [{name: wide, networks: [127.0.0.0/8], secret: SUPERSECRET-wide-0123456789}]",
			func(c *Config) any { return len(c.Clients) }, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Parse([]byte(merge(t, minimal, tt.yaml)), "/etc/radiusd")
			if err != nil {
				t.Fatal(err)
			}
			if got := tt.check(cfg); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

// merge returns base with the top-level keys of extra replacing or, for
// clients, extending those of base.
func merge(t *testing.T, base, extra string) string {
	t.Helper()
	var b, e map[string]any
	if err := yaml.Unmarshal([]byte(base), &b); err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal([]byte(extra), &e); err != nil {
		t.Fatal(err)
	}
	for k, v := range e {
		if k == "clients" {
			v = append(b[k].([]any), v.([]any)...)
		}
		b[k] = v
	}
	out, err := yaml.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

func TestSecretFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("lf.secret", "SUPERSECRET-file-0123456789\n")
	write("crlf.secret", "SUPERSECRET-file-0123456789\r\n")
	write("inner.secret", "SUPERSECRET-file\n0123456789\n\n")
	write("empty.secret", "")
	write("newlines.secret", "\n\r\n")
	write("big.secret", strings.Repeat("x", maxSecretFile+1))
	tests := []struct {
		name    string
		file    string
		want    string
		wantErr error
	}{
		{"trailing newline trimmed", "lf.secret", "SUPERSECRET-file-0123456789", nil},
		{"trailing CRLF trimmed", "crlf.secret", "SUPERSECRET-file-0123456789", nil},
		{"inner newline kept", "inner.secret", "SUPERSECRET-file\n0123456789", nil},
		{"absolute path", filepath.Join(dir, "lf.secret"), "SUPERSECRET-file-0123456789", nil},
		{"missing", "missing.secret", "", fs.ErrNotExist},
		{"empty", "empty.secret", "", errSecretFile},
		{"only newlines", "newlines.secret", "", errSecretFile},
		{"too large", "big.secret", "", errSecretFile},
		{"directory", ".", "", errSecretFile},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := fmt.Sprintf("clients: [{name: vpn, networks: [127.0.0.1], secret_file: %q}]\ndirectory: {file: u.yaml}\n", tt.file)
			cfg, err := Parse([]byte(doc), dir)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if err != nil {
				if !strings.HasPrefix(err.Error(), "clients[0].secret_file: ") {
					t.Errorf("error %q does not start with the YAML path", err)
				}
				return
			}
			if !cfg.Clients[0].SharedSecret.Value().Equal([]byte(tt.want)) {
				t.Errorf("secret mismatch (length %d, want %d)", cfg.Clients[0].SharedSecret.Len(), len(tt.want))
			}
		})
	}
}

// TestLoadRelativePaths checks that Load resolves paths against the config
// file's directory, not the working directory.
func TestLoadRelativePaths(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "secrets"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "secrets", "vpn.secret"), []byte("SUPERSECRET-load-0123456789\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	doc := "clients: [{name: vpn, networks: [127.0.0.1], secret_file: secrets/vpn.secret}]\ndirectory: {file: users.yaml}\n"
	path := filepath.Join(dir, "radiusd.yaml")
	if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(dir, "users.yaml"); cfg.Directory.File != want {
		t.Errorf("directory.file = %q, want %q", cfg.Directory.File, want)
	}
	if want := filepath.Join(dir, "secrets", "vpn.secret"); cfg.Clients[0].SecretFile != want {
		t.Errorf("secret_file = %q, want %q", cfg.Clients[0].SecretFile, want)
	}
	if !cfg.Clients[0].SharedSecret.Value().Equal([]byte("SUPERSECRET-load-0123456789")) {
		t.Error("secret not read from secret_file")
	}
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big.yaml")
	if err := os.WriteFile(big, []byte("# "+strings.Repeat("x", MaxSize)), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		path    string
		wantErr error
	}{
		{"missing file", filepath.Join(dir, "missing.yaml"), fs.ErrNotExist},
		{"too large", big, ErrTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Load(tt.path); !errors.Is(err, tt.wantErr) {
				t.Errorf("err = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

// TestSecretNeverPrinted prints a parsed config every way a log line or
// error might, and checks that neither secret appears.
func TestSecretNeverPrinted(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "s"), []byte("SUPERSECRET-from-file-42\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	doc := merge(t, minimal, "clients: [{name: f, networks: [10.0.0.0/8], secret_file: s}]")
	cfg, err := Parse([]byte(doc), dir)
	if err != nil {
		t.Fatal(err)
	}
	js, _ := json.Marshal(cfg)
	ys, _ := yaml.Marshal(cfg)
	var logged strings.Builder
	slog.New(slog.NewTextHandler(&logged, nil)).Info("config", "client", cfg.Clients[0].SharedSecret, "secret", cfg.Clients[1].Secret)
	outputs := map[string]string{"json": string(js), "yaml": string(ys), "slog": logged.String()}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x", "%X", "%d", "%q", "%o"} {
		outputs[verb] = fmt.Sprintf(verb, cfg)
		outputs[verb+" clients"] = fmt.Sprintf(verb, cfg.Clients)
	}
	secrets := []string{"SUPERSECRET", hexOf("SUPERSECRET"), bytesOf("SUPERSECRET")}
	for _, name := range slices.Sorted(maps.Keys(outputs)) {
		out := outputs[name]
		t.Run(name, func(t *testing.T) {
			for _, s := range secrets {
				if strings.Contains(out, s) {
					t.Errorf("output contains the secret (%q):\n%s", s, out)
				}
			}
		})
	}
}

func hexOf(s string) string { return fmt.Sprintf("%x", s) }

func bytesOf(s string) string { return strings.Trim(fmt.Sprint([]byte(s)), "[]") }

// TestAliasBomb checks that billion-laughs documents fail fast with an
// error, whether the bomb sits under a known key or an unknown one.
func TestAliasBomb(t *testing.T) {
	tests := []struct{ name, doc string }{
		{"known key", aliasBomb("usernames:\n  strip_domains: *i\n")},
		{"unknown key", aliasBomb("bomb: *i\n")},
		{"merge key", aliasBomb("totp:\n  <<: *i\n")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			if _, err := Parse([]byte(tt.doc), ""); err == nil {
				t.Fatal("Parse succeeded")
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("took %v", d)
			}
		})
	}
}

// aliasBomb returns a document whose anchor i expands to 10^9 strings.
func aliasBomb(use string) string {
	var b strings.Builder
	b.WriteString("x: &a [lol,lol,lol,lol,lol,lol,lol,lol,lol,lol]\n")
	prev := "a"
	for _, n := range []string{"b", "c", "d", "e", "f", "g", "h", "i"} {
		fmt.Fprintf(&b, "%s: &%s [%s]\n", n, n, strings.TrimSuffix(strings.Repeat("*"+prev+",", 10), ","))
		prev = n
	}
	b.WriteString(use)
	return b.String()
}

func TestModes(t *testing.T) {
	want := []string{"password+otp", "challenge", "auto", "otp-only", "password-only"}
	got := Modes()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Modes() = %q, want %q", got, want)
	}
	got[0] = "changed"
	if Modes()[0] != "password+otp" {
		t.Error("Modes returns the package's slice")
	}
}

func TestSecretMethods(t *testing.T) {
	var s Secret
	if err := yaml.Unmarshal([]byte("SUPERSECRET-methods"), &s); err != nil {
		t.Fatal(err)
	}
	for name, got := range map[string]string{"String": s.String(), "GoString": s.GoString(), "Sprint": fmt.Sprint(s)} {
		if got != "[redacted]" {
			t.Errorf("%s() = %q, want [redacted]", name, got)
		}
	}
	if !s.Value().Equal([]byte("SUPERSECRET-methods")) || s.Len() != len("SUPERSECRET-methods") {
		t.Error("Value does not hold the decoded secret")
	}
}

// TestDocsMentionEveryKey keeps docs/configuration.md in step with the
// schema.
func TestDocsMentionEveryKey(t *testing.T) {
	doc, err := os.ReadFile("../docs/configuration.md")
	if err != nil {
		t.Fatal(err)
	}
	for name, typ := range structTypes {
		for i := range typ.NumField() {
			key, _, _ := strings.Cut(typ.Field(i).Tag.Get("yaml"), ",")
			if key == "-" || key == "" {
				continue
			}
			if !strings.Contains(string(doc), "`"+key) && !strings.Contains(string(doc), "."+key+"`") {
				t.Errorf("%s key %q is not documented", name, key)
			}
		}
	}
}
