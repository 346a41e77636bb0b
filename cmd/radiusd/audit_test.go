package main

import (
	"database/sql"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// auditList runs "audit --json" with args and returns its entries.
func (c *cli) auditList(args ...string) []auditJSON {
	c.t.Helper()
	var got []auditJSON
	mustJSON(c.t, c.ok(append([]string{"audit", "--config", c.config, "--json"}, args...)...), &got)
	if got == nil {
		c.t.Fatalf("audit --json %q printed null, want an array", args)
	}
	return got
}

// wantAudit is an expected entry: what the CLI records besides the time,
// the actor and the remote address, which are the same for every one.
type wantAudit struct{ action, target, detail string }

// checkAudit fails unless got, newest first, holds want (oldest first),
// each by cliActor from "local", timed between from and to.
func checkAudit(t *testing.T, got []auditJSON, want []wantAudit, from, to time.Time) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d audit entries, want %d: %+v", len(got), len(want), got)
	}
	for i, g := range got {
		w := want[len(want)-1-i]
		if g.Action != w.action || g.Target != w.target || g.Detail != w.detail || g.Actor != cliActor() || g.Remote != "local" {
			t.Errorf("entry %d = %+v, want %+v by %s from local", i, g, w, cliActor())
		}
		at, err := time.Parse(time.RFC3339, g.Time)
		if err != nil || at.Before(from.Truncate(time.Second)) || at.After(to) {
			t.Errorf("entry %d time %q (%v), want between %v and %v", i, g.Time, err, from, to)
		}
		if i > 0 && g.ID >= got[i-1].ID {
			t.Errorf("entry %d has ID %d after %d, want decreasing IDs", i, g.ID, got[i-1].ID)
		}
	}
}

// Every admin command records one entry after its change, with the
// normalised user name and no secret or code.
func TestAuditTrail(t *testing.T) {
	c := newCLI(t)
	from := time.Now()
	secret, codes := c.enroll(`EXAMPLE\Alice`)
	var fresh codesJSON
	mustJSON(t, c.ok("user", "codes", "--config", c.config, "--json", "alice"), &fresh)
	c.ok("user", "policy", "--config", c.config, "Bob", "exempt")
	c.ok("user", "method", "--config", c.config, "bob", "totp")
	c.ok("user", "unlock", "--config", c.config, "alice")
	c.ok("user", "reset", "--config", c.config, "--json", "alice")
	c.ok("user", "enroll", "--config", c.config, "--force", "alice")
	file := filepath.Join(t.TempDir(), "import.csv")
	mustWrite(t, file, "carol,JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP\nbad,not-base32!\n")
	c.ok("user", "import", "--config", c.config, "--skip-errors", file)
	c.run("", "user", "import", "--config", c.config, file) // refused: nothing imported, nothing recorded
	c.run("", "user", "confirm", "--config", c.config, "alice", "not-a-code")
	want := []wantAudit{
		{"enroll", "alice", ""}, {"confirm", "alice", "8 recovery codes"}, {"codes", "alice", "8 recovery codes"},
		{"policy", "bob", "exempt"}, {"method", "bob", "totp"}, {"unlock", "alice", ""}, {"reset", "alice", ""},
		{"enroll", "alice", "force"}, {"import", "*", "imported 1, skipped 1"},
	}
	out := c.ok("audit", "--config", c.config, "--json")
	var got []auditJSON
	mustJSON(t, out, &got)
	checkAudit(t, got, want, from, time.Now())
	for _, s := range append(slices.Concat(codes, fresh.RecoveryCodes), secret, "JBSWY3DP") {
		if strings.Contains(out, s) {
			t.Errorf("the audit trail shows a secret or a code: %s", out)
		}
	}
}

// --user (normalised), --actor, --limit and --before select entries.
func TestAuditFilters(t *testing.T) {
	c := newCLI(t)
	from := time.Now()
	for _, args := range [][]string{{"alice", "exempt"}, {"bob", "required"}, {"alice", "default"}, {"carol", "exempt"}} {
		c.ok("user", "policy", "--config", c.config, args[0], args[1])
	}
	to := time.Now()
	all := []wantAudit{{"policy", "alice", "exempt"}, {"policy", "bob", "required"}, {"policy", "alice", "default"}, {"policy", "carol", "exempt"}}
	checkAudit(t, c.auditList(), all, from, to)
	checkAudit(t, c.auditList("--user", `EXAMPLE\ALICE`), []wantAudit{all[0], all[2]}, from, to)
	checkAudit(t, c.auditList("--actor", cliActor()), all, from, to)
	checkAudit(t, c.auditList("--actor", "someone-else"), nil, from, to)
	checkAudit(t, c.auditList("--user", "*"), nil, from, to)
	page := c.auditList("--limit", "3")
	checkAudit(t, page, all[1:], from, to)
	checkAudit(t, c.auditList("--limit", "3", "--before", strconv.FormatInt(page[2].ID, 10)), all[:1], from, to)
}

// The text table has one line per entry under its header, "-" for an
// empty field.
func TestAuditText(t *testing.T) {
	c := newCLI(t)
	if out := c.ok("audit", "--config", c.config); out != "TIME  ACTOR  ACTION  TARGET  DETAIL  REMOTE\n" {
		t.Errorf("empty trail: %q", out)
	}
	c.ok("user", "policy", "--config", c.config, "bob", "exempt")
	c.ok("user", "unlock", "--config", c.config, "alice")
	lines := strings.Split(strings.TrimSuffix(c.ok("audit", "--config", c.config), "\n"), "\n")
	want := []string{
		`^TIME +ACTOR +ACTION +TARGET +DETAIL +REMOTE$`,
		`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ +` + regexp.QuoteMeta(cliActor()) + ` +unlock +alice +- +local$`,
		`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ +` + regexp.QuoteMeta(cliActor()) + ` +policy +bob +exempt +local$`,
	}
	if len(lines) != len(want) {
		t.Fatalf("audit printed %d lines, want %d:\n%s", len(lines), len(want), strings.Join(lines, "\n"))
	}
	for i, re := range want {
		if !regexp.MustCompile(re).MatchString(lines[i]) {
			t.Errorf("line %d %q does not match %s", i, lines[i], re)
		}
	}
}

func TestAuditUsage(t *testing.T) {
	c := newCLI(t)
	for _, args := range [][]string{
		{"--limit", "0"}, {"--limit", "1001"}, {"--limit", "x"}, {"--before", "-1"}, {"alice"}, {"--bogus"},
	} {
		if _, _, code := c.run("", append([]string{"audit", "--config", c.config}, args...)...); code != exitUsage {
			t.Errorf("radiusd audit %q: exit %d, want %d", args, code, exitUsage)
		}
	}
	if _, errs, code := c.run("", "audit", "--help"); code != exitOK || !strings.Contains(errs, "--actor") {
		t.Errorf("audit --help: exit %d, %q", code, errs)
	}
	if _, errs, code := c.run("", "audit", "--config", c.config, "--user", "bad\x01name"); code != exitFailure || !strings.Contains(errs, "not a valid user name") {
		t.Errorf("audit --user with a control character: exit %d, %q", code, errs)
	}
}

// When the audit entry cannot be written, the change stands, the command
// still prints its result (the recovery codes above all) and says so, and
// exits 1.
func TestAuditWriteFails(t *testing.T) {
	c := newCLI(t)
	c.enroll("alice")
	refuseAudit(t, c)
	out, errs, code := c.run("", "user", "policy", "--config", c.config, "bob", "required")
	if code != exitFailure || !strings.Contains(errs, "radiusd user policy: warning: the change is done, but writing its audit entry failed") ||
		out != "bob policy set to required\n" {
		t.Errorf("policy with a failing audit trail: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	var show showJSON
	mustJSON(t, c.ok("user", "show", "--config", c.config, "--json", "bob"), &show)
	if show.Policy != "required" {
		t.Errorf("policy %q after a failed audit entry, want required (the change stands)", show.Policy)
	}
	out, errs, code = c.run("", "user", "codes", "--config", c.config, "--json", "alice")
	var codes codesJSON
	mustJSON(t, out, &codes)
	if code != exitFailure || len(codes.RecoveryCodes) != 8 || !strings.Contains(errs, "warning") {
		t.Errorf("codes with a failing audit trail: exit %d, %d codes printed, stderr %q", code, len(codes.RecoveryCodes), errs)
	}
	if _, _, code := c.run("", "user", "show", "--config", c.config, "alice"); code != exitOK {
		t.Errorf("show (no change, no entry) with a failing audit trail: exit %d", code)
	}
}

// refuseAudit makes every insert into c's audit trail fail, as a full disk
// or a broken database would.
func refuseAudit(t *testing.T, c *cli) {
	t.Helper()
	driver := "sqlite"
	if slices.Contains(sql.Drivers(), "sqlite3") {
		driver = "sqlite3"
	}
	db, err := sql.Open(driver, filepath.Join(filepath.Dir(c.config), "data", "radiusd.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.ExecContext(t.Context(), `CREATE TRIGGER audit_refused BEFORE INSERT ON audit
		BEGIN SELECT RAISE(ABORT, 'refused by the test'); END`); err != nil {
		t.Fatal(err)
	}
}

// store copy copies the audit trail with its times and order, and refuses
// a destination that has one.
func TestStoreCopyAudit(t *testing.T) {
	src, dst := newCLI(t), newCLI(t)
	src.enroll("alice")
	src.ok("user", "policy", "--config", src.config, "bob", "exempt")
	src.ok("user", "reset", "--config", src.config, "nobody") // an entry without a user
	var sum copySummary
	mustJSON(t, src.ok("store", "copy", "--from-config", src.config, "--to-config", dst.config, "--json"), &sum)
	if sum.Users != 2 || sum.AuditEntries != 4 {
		t.Errorf("store copy: %+v, want 2 users and 4 audit entries", sum)
	}
	want, got := src.auditList(), dst.auditList()
	if len(got) != len(want) {
		t.Fatalf("copied trail has %d entries, want %d", len(got), len(want))
	}
	for i := range got {
		got[i].ID = want[i].ID
	}
	if !slices.Equal(got, want) {
		t.Errorf("copied trail:\n got %+v\nwant %+v", got, want)
	}
	other := newCLI(t) // with the source's key file, and a trail but no users
	key, err := os.ReadFile(filepath.Join(filepath.Dir(src.config), "data", "radiusd.key"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(filepath.Dir(other.config), "data"), 0o700); err != nil {
		t.Fatal(err)
	}
	mustWrite(t, filepath.Join(filepath.Dir(other.config), "data", "radiusd.key"), string(key))
	other.ok("user", "reset", "--config", other.config, "nobody")
	_, errs, code := src.run("", "store", "copy", "--from-config", src.config, "--to-config", other.config)
	if code != exitFailure || !strings.Contains(errs, "already has an audit trail") {
		t.Errorf("copy into a store with an audit trail: exit %d, %q", code, errs)
	}
}

func mustWrite(t *testing.T, path, body string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
}
