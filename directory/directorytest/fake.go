// Package directorytest holds test helpers for code that consumes a
// directory.Directory: a hand-written Fake that counts its calls, so that
// decision-logic tests can assert "exactly one password check per request".
//
// It imports only the directory package and the standard library; it must
// never import a directory driver, auth, store or any SQL or LDAP package.
package directorytest

import (
	"context"
	"slices"
	"sync"

	"radiusd/directory"
)

// FakeUser is one entry of a Fake directory.
type FakeUser struct {
	// Password is the user's password; empty means the user cannot
	// authenticate by password but exists for Lookup.
	Password string
	// Groups are returned, copied, in directory.User.Groups.
	Groups []string
	// Disabled makes Authenticate (with the right password) and Lookup
	// return directory.ErrDisabled.
	Disabled bool
	// Email and Mobile are returned as they are in directory.User.Email
	// and directory.User.Mobile (the Fake does not validate them).
	Email, Mobile string
}

// Fake is an in-memory directory.Directory. Set Users (and Err) before the
// first call and do not change them afterwards; the methods are then safe
// for concurrent use. The zero value is an empty directory.
//
// Names are matched exactly, without case folding: the decision logic must
// normalise names before it asks, and a test that forgets shows up as an
// unknown user. The call counters are kept under a mutex.
type Fake struct {
	// Users maps the exact user name to its entry.
	Users map[string]FakeUser
	// Err, when non-nil, is returned by every call, as a backend failure
	// (an LDAP outage, say) would be.
	Err error

	mu      sync.Mutex
	auths   int
	lookups int
}

var _ directory.Directory = (*Fake)(nil)

// Authenticate counts the call, then returns Err if set, ctx.Err() if ctx is
// done, ErrInvalidCredentials for an empty password, an unknown user or a
// wrong password, ErrDisabled for a disabled user with the right password,
// and the user otherwise.
func (f *Fake) Authenticate(ctx context.Context, username, password string) (directory.User, error) {
	f.mu.Lock()
	f.auths++
	f.mu.Unlock()
	if err := f.failure(ctx); err != nil {
		return directory.User{}, err
	}
	u, ok := f.Users[username]
	if !ok || password == "" || u.Password == "" || u.Password != password {
		return directory.User{}, directory.ErrInvalidCredentials
	}
	if u.Disabled {
		return directory.User{}, directory.ErrDisabled
	}
	return u.user(username), nil
}

// Lookup counts the call, then returns Err if set, ctx.Err() if ctx is
// done, ErrNotFound for an unknown user, ErrDisabled for a disabled one and
// the user otherwise.
func (f *Fake) Lookup(ctx context.Context, username string) (directory.User, error) {
	f.mu.Lock()
	f.lookups++
	f.mu.Unlock()
	if err := f.failure(ctx); err != nil {
		return directory.User{}, err
	}
	u, ok := f.Users[username]
	if !ok {
		return directory.User{}, directory.ErrNotFound
	}
	if u.Disabled {
		return directory.User{}, directory.ErrDisabled
	}
	return u.user(username), nil
}

// user returns the directory.User of u named name, with its own Groups.
func (u FakeUser) user(name string) directory.User {
	return directory.User{Name: name, Groups: slices.Clone(u.Groups), Email: u.Email, Mobile: u.Mobile}
}

// AuthenticateCalls returns how many times Authenticate has been called.
func (f *Fake) AuthenticateCalls() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.auths
}

// LookupCalls returns how many times Lookup has been called.
func (f *Fake) LookupCalls() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.lookups
}

// ResetCalls sets both call counters back to zero.
func (f *Fake) ResetCalls() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.auths, f.lookups = 0, 0
}

func (f *Fake) failure(ctx context.Context) error {
	if f.Err != nil {
		return f.Err
	}
	return ctx.Err()
}
