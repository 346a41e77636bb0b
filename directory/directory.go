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
