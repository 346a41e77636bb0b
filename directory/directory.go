// Package directory holds the vocabulary shared by the user directories
// (the users file, LDAP and Active Directory): the User type and the sentinel
// errors. Drivers live in subpackages.
//
// It imports only the standard library; it must never import a driver, SQL
// or LDAP package.
package directory

import (
	"context"
	"errors"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Sentinel errors. A directory returns them (possibly wrapped) for expected
// negative outcomes; any other error is a backend failure.
var (
	// ErrInvalidCredentials: unknown user or wrong password. Authenticate
	// returns it for both, so that callers cannot enumerate users.
	ErrInvalidCredentials = errors.New("directory: invalid credentials")
	// ErrNotFound: Lookup found no such user.
	ErrNotFound = errors.New("directory: user not found")
	// ErrDisabled: the account exists but is disabled.
	ErrDisabled = errors.New("directory: account disabled")
)

// User is a directory entry as the decision logic sees it.
type User struct {
	// Name is the normalised login name.
	Name string
	// Groups are the names of the groups the user belongs to.
	Groups []string
	// Disabled is true for accounts that may not log in.
	Disabled bool
	// Email is the address one-time codes are sent to by e-mail; empty
	// when the directory has none (or only one that fails ValidEmail).
	Email string
	// Mobile is the number one-time codes are sent to by SMS, as the
	// directory holds it; empty when the directory has none (or only one
	// that fails ValidMobile).
	Mobile string
}

// Directory checks passwords and looks users up. Implementations are safe
// for concurrent use and honour ctx for cancellation and deadlines.
//
// Authenticate returns a nil error only when the password is correct and
// the account is enabled; an unknown user or wrong password gives
// ErrInvalidCredentials, a disabled account ErrDisabled. An empty password
// is always ErrInvalidCredentials.
//
// Lookup checks that the user exists without checking a password; it gives
// ErrNotFound for an unknown user and ErrDisabled for a disabled one.
type Directory interface {
	Authenticate(ctx context.Context, username, password string) (User, error)
	Lookup(ctx context.Context, username string) (User, error)
}

// Limits of ValidEmail and ValidMobile.
const (
	MaxEmailLen     = 254 // bytes (RFC 5321 §4.5.3.1.3, a path less its brackets)
	MaxMobileLen    = 32  // bytes, separators included
	MinMobileDigits = 6
	MaxMobileDigits = 20
)

// emailSpecials are the RFC 5322 specials ValidEmail refuses ("@" and "."
// are the two it allows).
const emailSpecials = `"(),:;<>[\]`

// ValidEmail reports whether s is usable as an e-mail address: valid
// UTF-8 of at most MaxEmailLen bytes holding exactly one "@" with a
// non-empty part on either side, and no white space, control or format
// character (such as a bidi override) or RFC 5322 special
// (`"(),:;<>[\]`), so that it cannot smuggle a second recipient or a
// header into a message. It is a light check, not RFC 5322 parsing:
// quoted local parts are refused.
func ValidEmail(s string) bool {
	local, domain, ok := strings.Cut(s, "@")
	if !ok || local == "" || domain == "" || strings.Contains(domain, "@") {
		return false
	}
	return len(s) <= MaxEmailLen && utf8.ValidString(s) && !strings.ContainsFunc(s, forbiddenInEmail)
}

// forbiddenInEmail reports the runes ValidEmail refuses.
func forbiddenInEmail(r rune) bool {
	return unicode.IsSpace(r) || unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || strings.ContainsRune(emailSpecials, r)
}

// ValidMobile reports whether s is usable as a mobile number: at most
// MaxMobileLen bytes of ASCII digits, spaces, "+", "-", "(" and ")" only,
// holding MinMobileDigits to MaxMobileDigits digits. It does not normalise
// the number or check its country code.
func ValidMobile(s string) bool {
	if len(s) > MaxMobileLen {
		return false
	}
	digits := 0
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case !strings.ContainsRune(" +-()", r):
			return false
		}
	}
	return digits >= MinMobileDigits && digits <= MaxMobileDigits
}
