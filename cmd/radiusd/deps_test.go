package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"radiusd/auth"
	"radiusd/config"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestPackageBoundaries keeps the one-way dependencies of STYLE.md B1: the
// RADIUS front end and the decision logic never reach SQL, LDAP or a
// concrete backend, and the vocabulary packages stay leaves.
func TestPackageBoundaries(t *testing.T) {
	forbidden := map[string][]string{
		"radiusd/radiussrv":          {"database/sql", "github.com/go-ldap/ldap/v3", "github.com/mattn/go-sqlite3", "modernc.org/sqlite", "radiusd/store/sqlstore", "radiusd/store/pgstore", "github.com/jackc/pgx/v5", "radiusd/directory/userfile", "radiusd/directory/ldap", "radiusd/config", "gopkg.in/yaml.v3", "github.com/prometheus/client_golang/prometheus"},
		"radiusd/auth":               {"database/sql", "github.com/go-ldap/ldap/v3", "github.com/mattn/go-sqlite3", "layeh.com/radius", "radiusd/store/sqlstore", "radiusd/store/pgstore", "github.com/jackc/pgx/v5", "radiusd/directory/userfile", "radiusd/directory/ldap", "radiusd/config", "net", "radiusd/notify", "github.com/prometheus/client_golang/prometheus"},
		"radiusd/store":              {"database/sql", "radiusd/auth", "radiusd/directory"},
		"radiusd/directory":          {"database/sql", "github.com/go-ldap/ldap/v3", "radiusd/store", "radiusd/auth"},
		"radiusd/otp":                {"radiusd/store", "radiusd/directory", "radiusd/auth", "layeh.com/radius"},
		"radiusd/codes":              {"radiusd/store", "radiusd/directory", "radiusd/auth", "layeh.com/radius"},
		"radiusd/config":             {"radiusd/auth", "radiusd/radiussrv", "radiusd/store", "radiusd/directory", "database/sql"},
		"radiusd/directory/userfile": {"radiusd/auth", "radiusd/store", "radiusd/config", "database/sql"},
		"radiusd/store/sqlstore":     {"radiusd/auth", "radiusd/directory", "radiusd/config", "layeh.com/radius"},
		"radiusd/portal":             {"database/sql", "github.com/go-ldap/ldap/v3", "layeh.com/radius", "radiusd/radiussrv", "radiusd/store/sqlstore", "radiusd/store/pgstore", "github.com/jackc/pgx/v5", "radiusd/directory/userfile", "radiusd/directory/ldap", "radiusd/config", "radiusd/notify"},
		"radiusd/notify":             {"radiusd/auth", "radiusd/store", "radiusd/directory", "radiusd/config", "radiusd/radiussrv", "layeh.com/radius"},
		"radiusd/store/pgstore":      {"radiusd/auth", "radiusd/directory", "radiusd/config", "layeh.com/radius", "github.com/mattn/go-sqlite3"},
		"radiusd/directory/ldap":     {"radiusd/auth", "radiusd/store", "radiusd/config", "radiusd/radiussrv", "database/sql", "layeh.com/radius"},
		"radiusd/cmd/radiusd":        {"radiusd/internal/testcert", "radiusd/directory/ldap/ldaptest", "radiusd/directory/ldap/adtest", "radiusd/store/pgstore/pgtest", "radiusd/notify/smtptest", "testing"},
	}
	for pkg, bad := range forbidden {
		out, err := exec.Command("go", "list", "-deps", pkg).CombinedOutput()
		if err != nil {
			t.Fatalf("go list -deps %s: %v\n%s", pkg, err, out)
		}
		deps := map[string]bool{}
		for _, d := range strings.Fields(string(out)) {
			deps[d] = true
		}
		for _, b := range bad {
			if deps[b] {
				t.Errorf("%s depends on %s", pkg, b)
			}
		}
	}
}

// TestModesAgree keeps the config's list of client modes in step with the
// decision logic's.
func TestModesAgree(t *testing.T) {
	want := make([]string, 0, len(auth.Modes))
	for _, m := range auth.Modes {
		want = append(want, string(m))
	}
	if got := config.Modes(); !slices.Equal(got, want) {
		t.Fatalf("config.Modes() = %v, auth.Modes = %v", got, want)
	}
}

// TestNoUnsafeRADIUSHelpers bans what STYLE.md B4 bans outside tests:
// layeh's debug package (it prints decrypted passwords) and the
// rfc2865.*_Get helpers (they swallow errors).
func TestNoUnsafeRADIUSHelpers(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "radiusd/...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	if slices.Contains(strings.Fields(string(out)), "layeh.com/radius/debug") {
		t.Error("a radiusd package imports layeh.com/radius/debug")
	}
	files, err := exec.Command("git", "-C", "../..", "ls-files", "--", "*.go", ":!:*_test.go").Output()
	if err != nil {
		t.Skipf("git ls-files: %v", err)
	}
	getter := regexp.MustCompile(`rfc\d+\.\w+_Get(Strings?)?\(`)
	for _, f := range strings.Fields(string(files)) {
		src, err := os.ReadFile(filepath.Join("..", "..", f))
		if err != nil {
			t.Fatal(err)
		}
		if getter.Match(src) {
			t.Errorf("%s calls an rfc*_Get helper, which swallows errors", f)
		}
	}
}
