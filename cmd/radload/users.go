package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base32"
	"fmt"
	"regexp"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"
)

// Parameters of the generated users' TOTP tokens (RFC 6238 defaults).
const (
	totpDigits    = 6
	totpPeriod    = 30 // seconds
	totpAlgorithm = "SHA1"
	secretBytes   = 20 // 160-bit keys, as RFC 4226 recommends
	maxUsers      = 1_000_000
)

// namePattern limits user-name prefixes and group names to characters that
// need no quoting in CSV or YAML.
var namePattern = regexp.MustCompile(`^[A-Za-z0-9._-]{1,32}$`)

// userName returns the name of user i: prefix followed by i zero-padded to
// six digits (u000000, u000001, …). i must be below maxUsers.
func userName(prefix string, i int) string {
	return fmt.Sprintf("%s%06d", prefix, i)
}

// deriveSecret returns the TOTP secret of the user called name: the first
// 20 bytes of HMAC-SHA256(seed, name), base32-encoded without padding.
func deriveSecret(seed, name string) string {
	mac := hmac.New(sha256.New, []byte(seed))
	mac.Write([]byte(name))
	sum := mac.Sum(nil)
	return base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(sum[:secretBytes])
}

// userSet holds the names and TOTP secrets of the simulated users.
// It is read-only after newUserSet and safe for concurrent use.
type userSet struct {
	names   []string
	secrets []string
}

// newUserSet derives n users named after prefix from seed, exactly as
// gen-users does, starting with user number first.
func newUserSet(prefix, seed string, first, n int) *userSet {
	u := &userSet{names: make([]string, n), secrets: make([]string, n)}
	for i := range n {
		u.names[i] = userName(prefix, first+i)
		u.secrets[i] = deriveSecret(seed, u.names[i])
	}
	return u
}

// len returns the number of users.
func (u *userSet) len() int { return len(u.names) }

// code returns user i's TOTP code for the given time step.
func (u *userSet) code(i int, step int64) (string, error) {
	c, err := hotp.GenerateCodeCustom(u.secrets[i], uint64(step), hotp.ValidateOpts{
		Digits:    otp.DigitsSix,
		Algorithm: otp.AlgorithmSHA1,
	})
	if err != nil {
		return "", fmt.Errorf("radload: totp code: %w", err)
	}
	return c, nil
}

// stepAt returns the TOTP time step (RFC 6238, T0 = 0) that contains t.
func stepAt(t time.Time) int64 {
	s := t.Unix()
	if s < 0 {
		return (s - totpPeriod + 1) / totpPeriod
	}
	return s / totpPeriod
}

// stepStart returns the time at which step begins.
func stepStart(step int64) time.Time {
	return time.Unix(step*totpPeriod, 0)
}
