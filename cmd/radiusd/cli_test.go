package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"radiusd/otp"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// cli runs radiusd in process against a config in a temporary directory.
type cli struct {
	t      *testing.T
	config string
}

func newCLI(t *testing.T) *cli {
	t.Helper()
	dir := t.TempDir()
	users := "users:\n  - name: alice\n    groups: [vpn-users]\n  - name: bob\n"
	cfg := `listen: ["127.0.0.1:0"]
clients:
  - name: test
    networks: ["127.0.0.1/32"]
    secret: "a-long-test-secret-0123456789abcdef"
store: { path: data/radiusd.db, key_file: data/radiusd.key }
directory: { backend: file, file: users.yaml }
usernames: { lowercase: true, strip_domains: [EXAMPLE] }
totp: { issuer: "Test VPN" }
`
	for name, body := range map[string]string{"users.yaml": users, "radiusd.yaml": cfg} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return &cli{t: t, config: filepath.Join(dir, "radiusd.yaml")}
}

// run runs one command and returns stdout, stderr and the exit status.
func (c *cli) run(stdin string, args ...string) (string, string, int) {
	c.t.Helper()
	var out, errb bytes.Buffer
	code := run(c.t.Context(), args, strings.NewReader(stdin), &out, &errb)
	return out.String(), errb.String(), code
}

// ok runs a command that must succeed and returns its stdout.
func (c *cli) ok(args ...string) string {
	c.t.Helper()
	out, errs, code := c.run("", args...)
	if code != exitOK {
		c.t.Fatalf("radiusd %s: exit %d\n%s", strings.Join(args, " "), code, errs)
	}
	return out
}

// enroll enrolls and confirms user and returns the base32 secret and the
// recovery codes.
func (c *cli) enroll(user string) (string, []string) {
	c.t.Helper()
	var en enrollJSON
	mustJSON(c.t, c.ok("user", "enroll", "--config", c.config, "--json", user), &en)
	sec, err := otp.ParseSecret(en.Secret)
	if err != nil {
		c.t.Fatal(err)
	}
	code, _ := otp.Code(sec, otp.DefaultParams, otp.Step(time.Now(), 30))
	var codes codesJSON
	mustJSON(c.t, c.ok("user", "confirm", user, code, "--config", c.config, "--json"), &codes)
	return en.Secret, codes.RecoveryCodes
}

func mustJSON(t *testing.T, s string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(s), v); err != nil {
		t.Fatalf("bad JSON %q: %v", s, err)
	}
}

// golden compares got with testdata/name, after masking times.
func golden(t *testing.T, name, got string) {
	t.Helper()
	got = regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ`).ReplaceAllString(got, "TIME")
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs:\n got: %s\nwant: %s", name, got, want)
	}
}

func TestUsage(t *testing.T) {
	c := newCLI(t)
	for _, args := range [][]string{
		{},
		{"frobnicate"},
		{"user"},
		{"user", "nope"},
		{"user", "show"},
		{"user", "show", "a", "b"},
		{"user", "enroll", "--bogus", "alice"},
		{"user", "policy", "--config", c.config, "alice", "sometimes"},
	} {
		if _, _, code := c.run("", args...); code != exitUsage {
			t.Errorf("radiusd %q: exit %d, want %d", args, code, exitUsage)
		}
	}
	if out, _, code := c.run("", "user", "show", "--help"); code != exitOK || out != "" {
		t.Errorf("--help: exit %d", code)
	}
}

func TestEnrollConfirmShowJSON(t *testing.T) {
	c := newCLI(t)
	var en map[string]any
	mustJSON(t, c.ok("user", "enroll", "--config", c.config, "--json", "Alice"), &en)
	for _, k := range []string{"user", "state", "secret", "uri", "digits", "period", "algorithm"} {
		if _, ok := en[k]; !ok {
			t.Errorf("enroll --json lacks %q: %v", k, en)
		}
	}
	if en["state"] != "pending" || !strings.HasPrefix(en["uri"].(string), "otpauth://totp/Test%20VPN:alice?secret=") {
		t.Errorf("enroll --json = %v", en)
	}
	if _, errs, code := c.run("", "user", "enroll", "--config", c.config, "alice"); code != exitOK {
		t.Fatalf("re-enroll of a pending user: %d %s", code, errs)
	}
	_, rc := c.enroll("alice")
	if len(rc) != 8 || !regexp.MustCompile(`^[0-9a-z]{5}-[0-9a-z]{5}$`).MatchString(rc[0]) {
		t.Fatalf("recovery codes %q", rc)
	}
	golden(t, "show.json", c.ok("user", "show", "--config", c.config, "--json", `EXAMPLE\alice`))
	golden(t, "show.txt", c.ok("user", "show", "--config", c.config, "alice"))
	c.ok("user", "policy", "--config", c.config, "bob", "exempt")
	golden(t, "list.json", c.ok("user", "list", "--config", c.config, "--json"))
	golden(t, "list.txt", c.ok("user", "list", "--config", c.config))
	if _, errs, code := c.run("", "user", "enroll", "--config", c.config, "alice"); code != exitFailure || !strings.Contains(errs, "--force") {
		t.Errorf("enroll over active: exit %d, %q", code, errs)
	}
}

func TestCodesResetUnlock(t *testing.T) {
	c := newCLI(t)
	if _, errs, code := c.run("", "user", "codes", "--config", c.config, "alice"); code != exitFailure || !strings.Contains(errs, "not enrolled") {
		t.Errorf("codes for a user who is not enrolled: exit %d, %q", code, errs)
	}
	if _, errs, code := c.run("", "user", "confirm", "--config", c.config, "alice", "123456"); code != exitFailure || !strings.Contains(errs, "no pending enrolment") {
		t.Errorf("confirm without enroll: exit %d, %q", code, errs)
	}
	c.enroll("alice")
	var codes codesJSON
	mustJSON(t, c.ok("user", "codes", "--config", c.config, "--json", "alice"), &codes)
	if len(codes.RecoveryCodes) != 8 {
		t.Fatalf("codes: %v", codes)
	}
	c.ok("user", "reset", "--config", c.config, "alice")
	c.ok("user", "unlock", "--config", c.config, "alice")
	var show showJSON
	mustJSON(t, c.ok("user", "show", "--config", c.config, "--json", "alice"), &show)
	if show.State != "none" || show.RecoveryCodesLeft != 0 {
		t.Errorf("after reset: %+v", show)
	}
}

func TestImport(t *testing.T) {
	c := newCLI(t)
	file := filepath.Join(t.TempDir(), "import.csv")
	body := "user,secret,digits,period,algorithm\n" +
		"alice,JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP,6,30,SHA1\n" +
		"bob,not-base32!,6,30,SHA1\n" +
		"carol,JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP,7,30,SHA1\n" +
		"alice,JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP\n" +
		`{"user":"dave","secret":"GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ","digits":8,"period":60,"algorithm":"SHA256"}` + "\n"
	if err := os.WriteFile(file, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	out, errs, code := c.run("", "user", "import", "--config", c.config, file)
	if code != exitFailure {
		t.Fatalf("import with bad rows: exit %d", code)
	}
	golden(t, "import-errors.txt", errs+out)
	if strings.Contains(errs, "JBSWY3DP") {
		t.Fatal("an import error shows a secret")
	}
	if users := c.ok("user", "list", "--config", c.config, "--json"); users != "[]\n" {
		t.Fatalf("a file with errors imported something: %s", users)
	}
	out, _, code = c.run("", "user", "import", "--config", c.config, "--json", "--skip-errors", file)
	if code != exitOK {
		t.Fatalf("--skip-errors: exit %d", code)
	}
	golden(t, "import-skip.json", out)
	// stdin, and an active user without --force.
	out, errs, code = c.run("alice,JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP\n", "user", "import", "--config", c.config, "-")
	if code != exitFailure || !strings.Contains(errs, "line 1: user \"alice\" is already enrolled") {
		t.Fatalf("import over active: exit %d %q %q", code, out, errs)
	}
}

// TestImportEnrollOutput: what "user enroll --json" prints on one site
// imports on another, indented as it is.
func TestImportEnrollOutput(t *testing.T) {
	from, to := newCLI(t), newCLI(t)
	var export strings.Builder
	for _, u := range []string{"alice", "bob"} {
		export.WriteString(from.ok("user", "enroll", "--config", from.config, "--json", u))
	}
	if strings.Contains(export.String(), `\u0026`) {
		t.Errorf("enroll --json escapes & in the URI: %s", export.String())
	}
	out, errs, code := to.run(export.String(), "user", "import", "--config", to.config, "--json", "-")
	if code != exitOK || !strings.Contains(out, `"imported": 2`) {
		t.Fatalf("exit %d: %s %s", code, out, errs)
	}
	_, errs, code = to.run("{\"user\": \"carol\",\n \"secret\": 7}\n", "user", "import", "--config", to.config, "-")
	if code != exitFailure || !strings.Contains(errs, "line 1: not a valid JSON object") {
		t.Fatalf("bad JSON: exit %d %q", code, errs)
	}
}

func TestHashPassword(t *testing.T) {
	c := newCLI(t)
	out, errs, code := c.run("hunter2-but-longer\n", "hash-password", "--cost", "4")
	if code != exitOK || !strings.HasPrefix(out, "$2a$04$") {
		t.Fatalf("exit %d out %q err %q", code, out, errs)
	}
	out, _, code = c.run("pw-from-a-script\n", "hash-password", "--json", "--cost", "4")
	var h struct {
		PasswordHash string `json:"password_hash"`
	}
	mustJSON(t, out, &h)
	if code != exitOK || !strings.HasPrefix(h.PasswordHash, "$2a$04$") {
		t.Fatalf("--json: exit %d out %q", code, out)
	}
	if _, _, code := c.run("", "hash-password"); code != exitFailure {
		t.Fatalf("empty stdin: exit %d", code)
	}
}

func TestCheckReportsEveryProblem(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "radiusd.yaml")
	body := "clients:\n  - name: a\n    networks: [\"300.0.0.1/32\"]\n    mode: sideways\ntotp: { digits: 7 }\ndirectory: { file: missing.yaml }\n"
	if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	if code := run(t.Context(), []string{"check", "--config", cfg}, nil, &out, &errb); code != exitFailure {
		t.Fatalf("exit %d", code)
	}
	for _, want := range []string{"clients[0].networks", "clients[0].mode", "totp.digits", "secret"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("check output lacks %q:\n%s", want, out.String())
		}
	}
	if n := strings.Count(out.String(), "problem:"); n < 4 {
		t.Errorf("%d problems reported, want every one:\n%s", n, out.String())
	}
}
