//go:build integration

package integration

import (
	"crypto/rand"
	"encoding/base32"
	"strings"
	"testing"
)

// TestImportCSV: a CSV with one bad row imports nothing and names the
// line; with --skip-errors the good rows are imported, and those users log
// in with codes from oathtool (SHA1/6 digits and SHA256/8 digits).
func TestImportCSV(t *testing.T) {
	t.Parallel()
	requireTool(t, "oathtool")
	carol, dave, erin := newUser("carol"), newUser("dave"), newUser("erin")
	s := startServer(t, options{users: []user{carol, dave, erin}})
	keys := map[string]totpKey{
		"carol": {secret: randomBase32()},
		"erin":  {secret: randomBase32(), algorithm: "SHA256", digits: 8},
	}
	file := s.writeFile("import.csv", importCSV(keys), 0o600)

	t.Run("one bad row imports nothing", func(t *testing.T) {
		s := s.with(t)
		checkFailure(t, "user import", s.cli("user import", file), "line 3")
		for _, name := range []string{"carol", "dave", "erin"} {
			if got := s.show(name).State; got != "none" {
				t.Errorf("%s: state %q after a failed import, want none", name, got)
			}
		}
	})
	t.Run("skip errors", func(t *testing.T) {
		s := s.with(t)
		var rep importReport
		decodeJSON(t, s.mustCLI("user import", "--json", "--skip-errors", file), &rep)
		if rep.Imported != 2 || len(rep.Errors) != 1 || rep.Errors[0].Line != 3 {
			t.Errorf("import --skip-errors reported %+v, want 2 imported and an error on line 3", rep)
		}
		for name, want := range map[string]string{"carol": "active", "dave": "none", "erin": "active"} {
			if got := s.show(name).State; got != want {
				t.Errorf("%s: state %q, want %q", name, got, want)
			}
		}
	})
	t.Run("imported users log in", func(t *testing.T) {
		s := s.with(t)
		for _, u := range []user{carol, erin} {
			code := keys[u.name].code(t, currentStep())
			expect(t, s.auth(pap(u.name, u.password+code)...), accept, "")
			expect(t, s.auth(pap(u.name, u.password+code)...), reject, msgFailed)
		}
		expect(t, s.auth(pap("dave", dave.password)...), reject, msgEnroll)
	})
}

// importCSV returns a CSV with a header, carol (SHA1, 6 digits), a bad
// secret for dave on line 3, and erin (SHA256, 8 digits).
func importCSV(keys map[string]totpKey) string {
	return strings.Join([]string{
		"user,secret,digits,period,algorithm",
		"carol," + keys["carol"].secret + ",6,30,SHA1",
		"dave,not-base32!,6,30,SHA1",
		"erin," + keys["erin"].secret + ",8,30,SHA256",
	}, "\n") + "\n"
}

// importReport is the output of "user import --json".
type importReport struct {
	Imported int `json:"imported"`
	Skipped  int `json:"skipped"`
	Errors   []struct {
		Line  int    `json:"line"`
		Error string `json:"error"`
	} `json:"errors"`
}

// randomBase32 returns a new 160-bit TOTP secret in unpadded base32.
func randomBase32() string {
	b := make([]byte, 20)
	rand.Read(b)
	s := base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b)
	sensitive.remember("TOTP secret", s)
	return s
}
