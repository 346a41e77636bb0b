//go:build integration

package integration

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

// recoveryCodeRE is the shape of a recovery code: xxxxx-xxxxx.
var recoveryCodeRE = regexp.MustCompile(`^[0-9a-z]{5}-[0-9a-z]{5}$`)

// TestEnrollThroughCLI enrolls with --qr-png while the server runs, reads
// the QR code back with zbarimg, computes the code with oathtool
// (cross-checked with pquerna/otp), confirms, gets the recovery codes once,
// and logs in.
func TestEnrollThroughCLI(t *testing.T) {
	t.Parallel()
	requireTool(t, "zbarimg", "oathtool")
	alice := newUser("alice")
	s := startServer(t, options{users: []user{alice}})
	png := filepath.Join(s.dir, "alice.png")

	var en enrollJSON
	decodeJSON(t, s.mustCLI("user enroll", "--json", "--qr-png", png, "alice"), &en)
	sensitive.remember("TOTP secret", en.Secret)
	if en.User != "alice" || en.State != "pending" || en.Digits != 6 || en.Period != 30 || en.Algorithm != "SHA1" {
		t.Errorf("enroll --json = %+v, want alice, pending, 6 digits, 30 s, SHA1", en)
	}
	if got := s.show("alice").State; got != "pending" {
		t.Errorf("state after enroll = %q, want pending", got)
	}
	if fi, err := os.Stat(png); err != nil || fi.Mode().Perm()&0o077 != 0 {
		t.Errorf("QR PNG: %v, mode %v; want a file readable by its owner only", err, fi.Mode())
	}
	if got := zbarimg(t, png); got != en.URI {
		t.Errorf("zbarimg read %q, want the JSON uri %q", got, en.URI)
	}
	crossCheckURI(t, en)

	acc := &account{user: alice, key: totpKey{secret: en.Secret}}
	checkRecoveryCodes(t, s.confirm(acc))
	sh := s.show("alice")
	if sh.State != "active" || sh.RecoveryCodesLeft != 8 || sh.EnrolledAt == nil {
		t.Errorf("show after confirm = %+v, want active with 8 codes left and enrolled_at set", sh)
	}
	if res := s.cli("user confirm", "--json", "alice", acc.code(t, 0)); res.code != 1 {
		t.Errorf("a second confirm exited %d, want 1 (no pending enrollment)", res.code)
	}
	expect(t, s.auth(pap("alice", alice.password+acc.code(t, 0))...), accept, "")
}

// checkRecoveryCodes checks that there are 8 codes shaped xxxxx-xxxxx.
func checkRecoveryCodes(t *testing.T, codes []string) {
	t.Helper()
	if len(codes) != 8 {
		t.Errorf("got %d recovery codes, want 8: %q", len(codes), codes)
	}
	for _, c := range codes {
		if !recoveryCodeRE.MatchString(c) {
			t.Errorf("recovery code %q does not look like xxxxx-xxxxx", c)
		}
	}
}

// zbarimg decodes the QR code in the PNG at path.
func zbarimg(t *testing.T, path string) string {
	t.Helper()
	res := runCommand(t, exec.Command("zbarimg", "--raw", "-q", path), "")
	if res.code != 0 {
		t.Fatalf("zbarimg: exit %d: %s", res.code, res.stderr)
	}
	return strings.TrimRight(res.stdout, "\n")
}

// crossCheckURI checks the otpauth URI with pquerna/otp and that oathtool
// and pquerna/otp compute the same code.
func crossCheckURI(t *testing.T, en enrollJSON) {
	t.Helper()
	key, err := otp.NewKeyFromURL(en.URI)
	if err != nil {
		t.Fatalf("parse otpauth URI: %v", err)
	}
	if key.Type() != "totp" || key.Secret() != en.Secret || key.AccountName() != "alice" || key.Issuer() == "" {
		t.Errorf("URI: type %q secret match %t account %q issuer %q", key.Type(), key.Secret() == en.Secret, key.AccountName(), key.Issuer())
	}
	step := currentStep()
	want, err := totp.GenerateCodeCustom(en.Secret, time.Unix(step*period, 0), totp.ValidateOpts{
		Period: period, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1,
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := (totpKey{secret: en.Secret}).code(t, step); got != want {
		t.Errorf("oathtool code %s, pquerna/otp code %s", got, want)
	}
}
