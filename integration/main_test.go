//go:build integration

// Package integration tests radiusd end to end: TestMain builds the radiusd
// binary from source once, and every test starts its own server on a free
// 127.0.0.1 UDP port in its own temporary directory and drives it with the
// real tools an administrator uses (radclient, oathtool, zbarimg, sqlite3)
// and with raw RADIUS packets.
//
// It must not import any radiusd product package: it only builds and drives
// the binary. It may import layeh.com/radius (to build raw packets),
// github.com/pquerna/otp (to cross-check TOTP codes), and the two directory
// test harnesses, radiusd/directory/ldap/ldaptest (a real slapd) and
// radiusd/directory/ldap/adtest (a real Samba AD DC), the PostgreSQL harness
// radiusd/store/pgstore/pgtest and the SMTP server harness
// radiusd/notify/smtptest (a real aiosmtpd): they start processes, like
// radclient, and never touch the binary under test; and
// radiusd/internal/testcert, which makes throwaway TLS certificates (for
// OpenVPN and the portal); and github.com/chromedp/chromedp and
// github.com/chromedp/cdproto, which drive a real headless Chromium through
// the portal.
//
// Run with: go test -tags integration -count=1 ./integration/...
// Missing tools make a test skip with an install hint, unless
// RADIUSD_INTEGRATION_REQUIRED=1, which turns the skip into a failure.
package integration

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
)

// radiusdBin is the binary that TestMain builds.
var radiusdBin string

func TestMain(m *testing.M) { os.Exit(runMain(m)) }

// runMain builds radiusd, runs the tests and then checks that no secret any
// test used appears in the logs of any radiusd run.
func runMain(m *testing.M) int {
	tmp, err := os.MkdirTemp("", "radiusd-integration-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "integration:", err)
		return 1
	}
	defer os.RemoveAll(tmp)
	// Traversable by the unprivileged user some store tests run radiusd as.
	if err := os.Chmod(tmp, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, "integration:", err)
		return 1
	}
	radiusdBin = filepath.Join(tmp, "radiusd")
	if err := buildRadiusd(radiusdBin); err != nil {
		fmt.Fprintln(os.Stderr, "integration:", err)
		return 1
	}
	code := m.Run()
	if leaks := sensitive.leaks(logs.text()); len(leaks) > 0 {
		fmt.Fprintf(os.Stderr, "FAIL: radiusd logs contain secrets used by the tests:\n  %s\n", strings.Join(leaks, "\n  "))
		code = 1
	}
	return code
}

// buildRadiusd builds ./cmd/radiusd from the module root into out.
func buildRadiusd(out string) error {
	gomod, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return fmt.Errorf("go env GOMOD: %w", err)
	}
	root := filepath.Dir(strings.TrimSpace(string(gomod)))
	cmd := exec.Command("go", "build", "-o", out, "./cmd/radiusd")
	cmd.Dir = root
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build ./cmd/radiusd: %w\n%s", err, b)
	}
	return nil
}

// logBook collects the standard error (the log) of every radiusd run.
type logBook struct {
	mu   sync.Mutex
	runs []string
}

var logs logBook

func (l *logBook) add(name, text string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.runs = append(l.runs, "=== "+name+"\n"+text)
}

func (l *logBook) text() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.runs, "\n")
}

// registry remembers every secret a test used: passwords, TOTP codes,
// recovery codes, shared secrets and base32 TOTP secrets.
type registry struct {
	mu     sync.Mutex
	values map[string]string // value → kind
}

var sensitive = registry{values: map[string]string{}}

// remember registers values of the given kind.
func (r *registry) remember(kind string, values ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, v := range values {
		if v != "" {
			r.values[v] = kind
		}
	}
}

// leaks returns a description of every registered value found in text.
// All-digit values (TOTP codes) only count when they stand alone, not as
// part of a longer number such as a timestamp.
func (r *registry) leaks(text string) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var found []string
	for v, kind := range r.values {
		if allDigits(v) {
			if regexp.MustCompile(`(^|[^0-9])` + v + `($|[^0-9])`).MatchString(text) {
				found = append(found, kind+" "+v)
			}
			continue
		}
		if strings.Contains(text, v) {
			found = append(found, kind+" "+v)
		}
	}
	sort.Strings(found)
	return found
}

func allDigits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}
