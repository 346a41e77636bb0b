// Package store holds the vocabulary of the second-factor store: enrolment
// records, recovery-code digests, replay records, lockouts and challenge
// State. Drivers (store/sqlstore) implement Store; store/storetest holds the
// conformance suite every driver must pass.
//
// It imports only the standard library and radiusd/secret; it must never
// import database/sql or a driver.
package store

import (
	"context"
	"errors"
	"time"

	"radiusd/secret"
)

// Sentinel errors, matched with errors.Is. Any other error is a backend
// failure, which callers must treat as a reason to reject (fail closed).
var (
	// ErrNotFound: no such user, recovery code or challenge.
	ErrNotFound = errors.New("store: not found")
	// ErrReplay: the TOTP step is not later than the last accepted one.
	ErrReplay = errors.New("store: code already used")
	// ErrExists: the user already has an active enrolment.
	ErrExists = errors.New("store: already enrolled")
	// ErrNotPending: the user has no pending enrolment to confirm.
	ErrNotPending = errors.New("store: no pending enrolment")
)

// State is a user's enrolment state.
type State string

// Enrolment states.
const (
	StateNone    State = "none"
	StatePending State = "pending"
	StateActive  State = "active"
)

// Policy is the per-user override of the site policy.
type Policy string

// Policy overrides.
const (
	PolicyDefault  Policy = "default"
	PolicyRequired Policy = "required"
	PolicyExempt   Policy = "exempt"
)

// TOTP holds a user's token parameters and secret.
type TOTP struct {
	Secret    secret.Value // raw key bytes (not base32); decrypted
	Digits    int          // 6 or 8
	Period    int          // seconds: 30 or 60
	Algorithm string       // "SHA1", "SHA256" or "SHA512"
}

// User is everything the store knows about one normalised user name.
// A user the store has never seen is returned by Get as ErrNotFound;
// callers treat that as the zero User with State StateNone.
type User struct {
	Name         string
	State        State
	TOTP         TOTP      // zero unless State is pending or active
	LastStep     int64     // last accepted TOTP step (time/period); 0 if none
	Drift        int       // learned clock offset of the user's device, in steps
	Policy       Policy    // never empty; PolicyDefault unless overridden
	Failures     int       // consecutive failed second factors
	LockedUntil  time.Time // zero if not locked
	EnrolledAt   time.Time // zero unless active
	LastUsed     time.Time // last accepted second factor; zero if never
	GraceStarted time.Time // first password-only login in the grace period; zero if none
	RecoveryLeft int       // unused recovery codes
	CreatedAt    time.Time
}

// Challenge is a pending Access-Challenge. ID is a digest of the State
// attribute sent to the NAS (the State itself is never stored).
type Challenge struct {
	ID      []byte
	User    string
	Client  string
	Expires time.Time
}

// Failure describes one failed second factor for RecordFailure.
type Failure struct {
	// Fingerprint identifies the wrong code (a keyed digest of user and
	// code). A failure with the same fingerprint as the previous one is not
	// counted again, so a retransmitted wrong code counts once.
	Fingerprint []byte
	Now         time.Time
	MaxFailures int           // lock when the count reaches this; 0 = never lock
	LockFor     time.Duration // how long a lockout lasts
}

// Store is the full driver contract. Every method is safe for concurrent
// use, by several goroutines and by several processes sharing one
// database; every rule below is enforced by the database (conditional
// updates, unique keys, transactions), never by a read followed by a write.
// Methods honour ctx; a backend failure returns a non-sentinel error.
type Store interface {
	// Get returns the user, or ErrNotFound.
	Get(ctx context.Context, name string) (User, error)
	// List returns every known user ordered by name.
	List(ctx context.Context) ([]User, error)

	// Enroll stores a new pending TOTP secret. It returns ErrExists if the
	// user has an active enrolment and force is false; with force it
	// replaces it (codes and replay record are cleared).
	Enroll(ctx context.Context, name string, totp TOTP, now time.Time, force bool) error
	// Activate turns a pending enrolment active, records step as the last
	// accepted step and drift, and replaces the recovery codes with digests,
	// all in one transaction. ErrNotPending if there is no pending enrolment.
	Activate(ctx context.Context, name string, step int64, drift int, digests [][]byte, now time.Time) error
	// Import stores an active enrolment directly (migration from another
	// system). It returns ErrExists if the user is active and force is false.
	Import(ctx context.Context, name string, totp TOTP, now time.Time, force bool) error
	// AcceptStep records step as used if and only if it is later than the
	// user's last accepted step and the user is active; otherwise ErrReplay
	// (ErrNotFound if the user is not active). On success it also stores
	// drift, sets LastUsed and clears the failure count.
	AcceptStep(ctx context.Context, name string, step int64, drift int, now time.Time) error
	// UseRecoveryCode marks the unused code with this digest as used, or
	// returns ErrNotFound. On success it sets LastUsed and clears failures.
	UseRecoveryCode(ctx context.Context, name string, digest []byte, now time.Time) error
	// ReplaceRecoveryCodes deletes every code of the user and stores the new
	// digests, in one transaction. ErrNotFound unless the user is active.
	ReplaceRecoveryCodes(ctx context.Context, name string, digests [][]byte, now time.Time) error
	// Reset deletes the user's secret, recovery codes, replay record and
	// grace start; the policy override and lockout stay.
	Reset(ctx context.Context, name string) error

	// SetPolicy stores the per-user override, creating the user if needed.
	SetPolicy(ctx context.Context, name string, p Policy, now time.Time) error
	// RecordFailure counts one failed second factor (see Failure) and
	// returns the resulting lock expiry (zero if not locked), creating the
	// user if needed. Reaching MaxFailures locks until Now+LockFor and
	// resets the count.
	RecordFailure(ctx context.Context, name string, f Failure) (lockedUntil time.Time, err error)
	// Unlock clears the failure count and any lockout.
	Unlock(ctx context.Context, name string) error
	// StartGrace records now as the start of the user's grace period unless
	// one is already recorded, and returns the recorded start.
	StartGrace(ctx context.Context, name string, now time.Time) (time.Time, error)

	// PutChallenge stores a pending challenge.
	PutChallenge(ctx context.Context, c Challenge) error
	// TakeChallenge deletes and returns the challenge with this ID, or
	// returns ErrNotFound if there is none or it expired before now. Two
	// concurrent calls never both succeed.
	TakeChallenge(ctx context.Context, id []byte, now time.Time) (Challenge, error)

	// Ping checks that the store is reachable.
	Ping(ctx context.Context) error
	// Close releases the store's resources.
	Close() error
}

// Record is one user's whole stored state, for moving a site from one
// store to another (radiusd store copy). Pending challenges are not part of
// it: they live for minutes.
type Record struct {
	User     User     // every field; RecoveryLeft follows from Recovery
	Recovery [][]byte // digests of the unused recovery codes
}

// Copier is implemented by drivers that export and restore whole records.
type Copier interface {
	// Export calls fn with every user's record, in name order, from one
	// consistent snapshot where the driver can take one.
	Export(ctx context.Context, fn func(Record) error) error
	// Restore stores a record for a name the store does not know, in one
	// transaction; ErrExists if it knows the name.
	Restore(ctx context.Context, r Record) error
}
