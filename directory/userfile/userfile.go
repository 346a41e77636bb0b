// Package userfile is the users-file directory (PRODUCT.md §5): a YAML list
// of users with bcrypt or argon2id password hashes, groups, a disabled
// flag and an optional e-mail address and mobile number (for one-time codes
// sent by e-mail or SMS), implementing directory.Directory.
//
// The file is decoded strictly (unknown keys are errors naming the key and
// its line) and every problem is reported at once. Names are matched
// case-insensitively. Reload swaps in a new generation atomically.
//
// It imports only directory, gopkg.in/yaml.v3, golang.org/x/crypto and the
// standard library; it must never import auth, store, config or radiussrv.
package userfile

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"

	"radiusd/directory"
)

// Options configures a Directory.
type Options struct {
	// Path is the users file (required).
	Path string
	// MaxConcurrentHashes bounds how many password hashes are checked at
	// once; further checks wait for a slot until their ctx is done.
	// 0 means runtime.NumCPU().
	MaxConcurrentHashes int
}

// Directory is the users-file directory. Create it with New; it is safe for
// concurrent use, including Reload during Authenticate and Lookup.
type Directory struct {
	path   string
	logger *slog.Logger
	sem    chan struct{} // one slot per concurrent hash check
	users  atomic.Pointer[userSet]
}

var _ directory.Directory = (*Directory)(nil)

// New loads opts.Path and returns a Directory serving it. A nil logger
// discards. Load problems are all returned at once, joined.
func New(opts Options, logger *slog.Logger) (*Directory, error) {
	if opts.Path == "" {
		return nil, errors.New("userfile: options: path is required")
	}
	if opts.MaxConcurrentHashes < 0 {
		return nil, fmt.Errorf("userfile: options: max concurrent hashes %d is negative", opts.MaxConcurrentHashes)
	}
	n := opts.MaxConcurrentHashes
	if n == 0 {
		n = runtime.NumCPU()
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	d := &Directory{
		path:   opts.Path,
		logger: logger.With("component", "userfile"),
		sem:    make(chan struct{}, n),
	}
	if err := d.Reload(); err != nil {
		return nil, err
	}
	return d, nil
}

// Reload re-reads the users file and swaps the new set in atomically. On
// error the previous set stays in use and the error (every problem,
// joined) is returned; calls in flight finish against the set they started
// with.
func (d *Directory) Reload() error {
	data, err := os.ReadFile(d.path)
	if err != nil {
		return fmt.Errorf("userfile: read users file: %w", err)
	}
	set, err := parse(d.path, data)
	if err != nil {
		return err
	}
	d.users.Store(set)
	d.logger.Info("users file loaded", "path", d.path, "users", len(set.byName))
	return nil
}

// Len returns the number of users in the current set.
func (d *Directory) Len() int { return len(d.users.Load().byName) }

// Authenticate checks username's password. It returns the user (Name
// lower-cased, Groups a copy) only when the password is right and the
// account enabled. An empty password, an unknown or malformed name, a user
// without a password hash and a wrong password all give
// directory.ErrInvalidCredentials; unknown users and users without a hash
// still pay for one hash check of the file's usual cost, so timing does
// not reveal which names exist. directory.ErrDisabled is returned only
// when the password was right. A hash check waits for one of
// MaxConcurrentHashes slots; if ctx ends first the wrapped ctx.Err() is
// returned.
func (d *Directory) Authenticate(ctx context.Context, username, password string) (directory.User, error) {
	if password == "" || nameProblem(username) != "" {
		return directory.User{}, directory.ErrInvalidCredentials
	}
	set := d.users.Load()
	e := set.byName[strings.ToLower(username)]
	h := set.dummy
	if e != nil && e.hash != nil {
		h = e.hash
	}
	ok, err := d.verify(ctx, h, password)
	if err != nil {
		return directory.User{}, err
	}
	if !ok || e == nil || e.hash == nil {
		return directory.User{}, directory.ErrInvalidCredentials
	}
	if e.user.Disabled {
		return directory.User{}, directory.ErrDisabled
	}
	return e.copyUser(), nil
}

// verify checks password against h once a hash slot is free.
func (d *Directory) verify(ctx context.Context, h verifier, password string) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, fmt.Errorf("userfile: authenticate: %w", err)
	}
	select {
	case d.sem <- struct{}{}:
	case <-ctx.Done():
		return false, fmt.Errorf("userfile: authenticate: waiting for a hash slot: %w", ctx.Err())
	}
	defer func() { <-d.sem }()
	return h.verify([]byte(password)), nil
}

// Lookup returns the user named username (matched case-insensitively) with
// Name lower-cased and Groups copied, directory.ErrNotFound for an unknown
// or malformed name, directory.ErrDisabled for a disabled account, or the
// wrapped ctx.Err() if ctx is done.
func (d *Directory) Lookup(ctx context.Context, username string) (directory.User, error) {
	if err := ctx.Err(); err != nil {
		return directory.User{}, fmt.Errorf("userfile: lookup: %w", err)
	}
	if nameProblem(username) != "" {
		return directory.User{}, directory.ErrNotFound
	}
	e := d.users.Load().byName[strings.ToLower(username)]
	switch {
	case e == nil:
		return directory.User{}, directory.ErrNotFound
	case e.user.Disabled:
		return directory.User{}, directory.ErrDisabled
	}
	return e.copyUser(), nil
}

// copyUser returns the entry's user with its own copy of Groups.
func (e *entry) copyUser() directory.User {
	u := e.user
	u.Groups = slices.Clone(u.Groups)
	return u
}
