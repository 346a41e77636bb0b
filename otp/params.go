// Package otp implements time-based one-time passwords (TOTP, RFC 6238) on
// top of github.com/pquerna/otp: token parameters, secret generation and
// parsing, otpauth:// URIs, code generation, window verification with drift,
// and a monitor that notices when the server clock itself looks off.
//
// It is pure: callers pass the current time and the random source. It does
// not decide replay; the store does that with the step Verify returns.
//
// It imports only the standard library, github.com/pquerna/otp and
// radiusd/secret; it must never import a store, directory or RADIUS package.
package otp

import (
	"errors"
	"fmt"

	pqotp "github.com/pquerna/otp"
)

// Sentinel errors, matched with errors.Is.
var (
	// ErrInvalidParams: digits, period or algorithm is not supported.
	ErrInvalidParams = errors.New("otp: invalid parameters")
	// ErrInvalidSecret: the secret is empty, too short, or not base32.
	ErrInvalidSecret = errors.New("otp: invalid secret")
	// ErrInvalidStep: the time step is negative.
	ErrInvalidStep = errors.New("otp: invalid time step")
)

// Params are a token's parameters as an authenticator app knows them.
type Params struct {
	Digits    int    // 6 or 8
	Period    int    // seconds per step: 30 or 60
	Algorithm string // HMAC hash: "SHA1", "SHA256" or "SHA512"
}

// DefaultParams are the parameters every authenticator app supports:
// 6 digits, 30 seconds, SHA1.
var DefaultParams = Params{Digits: 6, Period: 30, Algorithm: "SHA1"}

// Validate reports every unsupported field at once, joined with
// errors.Join; each error matches ErrInvalidParams. It sets no defaults.
func (p Params) Validate() error {
	var errs []error
	if p.Digits != 6 && p.Digits != 8 {
		errs = append(errs, fmt.Errorf("otp: digits %d is not one of 6, 8: %w", p.Digits, ErrInvalidParams))
	}
	if p.Period != 30 && p.Period != 60 {
		errs = append(errs, fmt.Errorf("otp: period %d is not one of 30, 60: %w", p.Period, ErrInvalidParams))
	}
	if _, ok := algorithms[p.Algorithm]; !ok {
		errs = append(errs, fmt.Errorf("otp: algorithm %q is not one of SHA1, SHA256, SHA512: %w", p.Algorithm, ErrInvalidParams))
	}
	return errors.Join(errs...)
}

var algorithms = map[string]pqotp.Algorithm{
	"SHA1":   pqotp.AlgorithmSHA1,
	"SHA256": pqotp.AlgorithmSHA256,
	"SHA512": pqotp.AlgorithmSHA512,
}
