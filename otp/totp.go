package otp

import (
	"crypto/subtle"
	"fmt"
	"slices"
	"time"

	pqotp "github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"

	"radiusd/secret"
)

// MaxSkew bounds the skew that Verify honours, so that a misconfiguration
// cannot turn one verification into thousands of HMACs.
const MaxSkew = 10

// MaxDrift bounds the maxDrift that Verify honours: about a year of 30 s
// steps, far beyond any sensible setting, and safe from overflow.
const MaxDrift = 1 << 20

// Match says which time step a code matched.
type Match struct {
	Step   int64 // the matched step; the store refuses it unless it is later than the last accepted one
	Offset int   // matched step minus current step: the device's clock offset in steps
}

// Step returns the RFC 6238 time step T = floor(unix(now) / period).
// For a non-positive period it returns -1, which no code matches.
func Step(now time.Time, period int) int64 {
	if period <= 0 {
		return -1
	}
	t, p := now.Unix(), int64(period)
	step := t / p
	if t%p != 0 && t < 0 {
		step-- // floor, not truncation, before 1970
	}
	return step
}

// Code returns the code for step (RFC 6238: HOTP of RFC 4226 with the step as
// counter), computed by github.com/pquerna/otp/hotp. It fails with
// ErrInvalidParams, ErrInvalidSecret (empty secret) or ErrInvalidStep.
// The code is secret: never log it.
func Code(s secret.Value, p Params, step int64) (string, error) {
	if err := p.Validate(); err != nil {
		return "", err
	}
	if s.IsZero() {
		return "", fmt.Errorf("otp: empty secret: %w", ErrInvalidSecret)
	}
	if step < 0 {
		return "", fmt.Errorf("otp: step %d: %w", step, ErrInvalidStep)
	}
	return generate(EncodeSecret(s), p, step)
}

// generate computes the code of a base32-encoded secret for step.
func generate(encoded string, p Params, step int64) (string, error) {
	code, err := hotp.GenerateCodeCustom(encoded, uint64(step), hotp.ValidateOpts{
		Digits:    pqotp.Digits(p.Digits),
		Algorithm: algorithms[p.Algorithm],
	})
	if err != nil {
		return "", fmt.Errorf("otp: generate code: %w", err)
	}
	return code, nil
}

// Window says which time steps Verify tries: current±Skew and
// current+Drift±Skew, where Drift (the user's learned offset) is clamped to
// ±MaxDrift, MaxDrift to [0, MaxDrift] and Skew to [0, MaxSkew]. Only
// steps later than After count: callers pass the user's last accepted
// step, so that a code that happens to equal an already used step's code
// still matches its own, later step.
type Window struct {
	Skew, Drift, MaxDrift int
	After                 int64
}

// Verify reports whether code is valid for s at now inside w, and which
// step it matched. When several steps match, the earliest wins, so that
// no later step is used up needlessly. Every candidate is computed and
// compared in constant time. A code of the wrong length or with
// non-digits, invalid params or an empty secret give ok=false. It is safe
// for concurrent use.
//
// Verify does not decide replay: the caller must have the store accept
// Match.Step only if it is still later than the last accepted step.
func Verify(s secret.Value, p Params, code string, now time.Time, w Window) (Match, bool) {
	if p.Validate() != nil || s.IsZero() || !isDigits(code, p.Digits) {
		return Match{}, false
	}
	cur := Step(now, p.Period)
	encoded := EncodeSecret(s)
	var m Match
	found := false
	for _, off := range window(w.Skew, w.Drift, w.MaxDrift) {
		step := cur + int64(off)
		if step < 0 {
			continue // before 1970
		}
		want, err := generate(encoded, p, step)
		if err != nil || step <= w.After {
			continue // before 1970, or already used
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 && !found {
			m, found = Match{Step: step, Offset: off}, true
		}
	}
	return m, found
}

// window returns the sorted, distinct candidate offsets from the current step.
func window(skew, drift, maxDrift int) []int {
	skew = min(max(skew, 0), MaxSkew)
	maxDrift = min(max(maxDrift, 0), MaxDrift)
	drift = min(max(drift, -maxDrift), maxDrift)
	offsets := make([]int, 0, 2*(2*skew+1))
	for _, center := range []int{0, drift} {
		for d := -skew; d <= skew; d++ {
			offsets = append(offsets, center+d)
		}
	}
	slices.Sort(offsets)
	return slices.Compact(offsets)
}

// isDigits reports whether code is exactly n ASCII digits.
func isDigits(code string, n int) bool {
	if len(code) != n {
		return false
	}
	for i := 0; i < len(code); i++ {
		if code[i] < '0' || code[i] > '9' {
			return false
		}
	}
	return true
}
