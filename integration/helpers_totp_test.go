//go:build integration

package integration

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"math/big"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// period is the TOTP time step of every test account, in seconds.
const period = 30

// currentStep is the TOTP step of now.
func currentStep() int64 { return time.Now().Unix() / period }

// totpKey is a TOTP secret with the parameters oathtool needs.
type totpKey struct {
	secret    string // base32
	algorithm string // "" or SHA1, SHA256, SHA512
	digits    int    // 0 means 6
}

// oathtool returns the codes of k for count steps from step, computed by
// oathtool (--totp[=sha256] --digits=N -b -N @time -w count-1).
func (k totpKey) oathtool(t *testing.T, step int64, count int) []string {
	t.Helper()
	requireTool(t, "oathtool")
	mode := "--totp"
	if a := strings.ToLower(k.algorithm); a != "" && a != "sha1" {
		mode += "=" + a
	}
	digits := max(k.digits, 6)
	args := []string{mode, "--digits=" + strconv.Itoa(digits), "-b",
		"-N", "@" + strconv.FormatInt(step*period, 10), "-w", strconv.Itoa(count - 1), k.secret}
	res := runCommand(t, exec.Command("oathtool", args...), "")
	codes := strings.Fields(res.stdout)
	if res.code != 0 || len(codes) != count {
		t.Fatalf("oathtool %v: exit %d, %q %s", args[:len(args)-1], res.code, res.stdout, res.stderr)
	}
	sensitive.remember("TOTP code", codes...)
	return codes
}

// code returns the code of k at step.
func (k totpKey) code(t *testing.T, step int64) string {
	t.Helper()
	return k.oathtool(t, step, 1)[0]
}

// wrongCodes returns n distinct codes of the right length that match no
// step within ±5 of step.
func (k totpKey) wrongCodes(t *testing.T, step int64, n int) []string {
	t.Helper()
	valid := k.oathtool(t, step-5, 11)
	digits := max(k.digits, 6)
	limit := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(digits)), nil)
	var wrong []string
	for len(wrong) < n {
		v, err := rand.Int(rand.Reader, limit)
		if err != nil {
			t.Fatal(err)
		}
		c := fmt.Sprintf("%0*d", digits, v)
		if !slices.Contains(valid, c) && !slices.Contains(wrong, c) {
			wrong = append(wrong, c)
		}
	}
	sensitive.remember("wrong TOTP code", wrong...)
	return wrong
}

// account is an enrolled user: its password, key and recovery codes.
// Its enrollment was confirmed with the code of step base-1, so the codes
// of base and base+1 stay valid (skew ±1) for at least 30 seconds and can
// each be accepted once.
type account struct {
	user
	key      totpKey
	base     int64
	recovery []string
}

// code returns the code for step base+off.
func (a *account) code(t *testing.T, off int64) string {
	t.Helper()
	return a.key.code(t, a.base+off)
}

// enrollJSON is the output of "user enroll --json".
type enrollJSON struct {
	User      string `json:"user"`
	State     string `json:"state"`
	Secret    string `json:"secret"`
	URI       string `json:"uri"`
	Digits    int    `json:"digits"`
	Period    int    `json:"period"`
	Algorithm string `json:"algorithm"`
}

// codesJSON is the output of "user confirm --json" and "user codes --json".
type codesJSON struct {
	User          string   `json:"user"`
	RecoveryCodes []string `json:"recovery_codes"`
}

// enroll enrolls u through the CLI and confirms it with an oathtool code.
func (s *server) enroll(u user) *account {
	s.t.Helper()
	var en enrollJSON
	decodeJSON(s.t, s.mustCLI("user enroll", "--json", u.name), &en)
	sensitive.remember("TOTP secret", en.Secret)
	a := &account{user: u, key: totpKey{secret: en.Secret, algorithm: en.Algorithm, digits: en.Digits}}
	a.recovery = s.confirm(a)
	return a
}

// confirm confirms a pending enrollment with the code of the previous step
// and sets a.base; a step boundary passed in between is retried.
func (s *server) confirm(a *account) []string {
	s.t.Helper()
	for attempt := 0; attempt < 3; attempt++ {
		a.base = currentStep()
		res := s.cli("user confirm", "--json", a.name, a.key.code(s.t, a.base-1))
		if res.code == 0 {
			var out codesJSON
			decodeJSON(s.t, res.stdout, &out)
			sensitive.remember("recovery code", out.RecoveryCodes...)
			return out.RecoveryCodes
		}
		if currentStep() == a.base {
			s.t.Fatalf("user confirm %s: exit %d: %s", a.name, res.code, res.stderr)
		}
	}
	s.t.Fatal("user confirm: the TOTP step kept changing")
	return nil
}

// newCodes issues a new set of recovery codes through the CLI.
func (s *server) newCodes(a *account) []string {
	s.t.Helper()
	var out codesJSON
	decodeJSON(s.t, s.mustCLI("user codes", "--json", a.name), &out)
	sensitive.remember("recovery code", out.RecoveryCodes...)
	return out.RecoveryCodes
}

// showJSON is the output of "user show --json".
type showJSON struct {
	User              string  `json:"user"`
	State             string  `json:"state"`
	RecoveryCodesLeft int     `json:"recovery_codes_left"`
	Failures          int     `json:"failures"`
	LockedUntil       *string `json:"locked_until"`
	Policy            string  `json:"policy"`
	LastUsed          *string `json:"last_used"`
	EnrolledAt        *string `json:"enrolled_at"`
}

// show returns "user show --json NAME".
func (s *server) show(name string) showJSON {
	s.t.Helper()
	var out showJSON
	decodeJSON(s.t, s.mustCLI("user show", "--json", name), &out)
	return out
}

// decodeJSON decodes text into v or fails the test.
func decodeJSON(t *testing.T, text string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(text), v); err != nil {
		t.Fatalf("decode JSON %T: %v\n%s", v, err, text)
	}
}
