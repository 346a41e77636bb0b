// Package store holds the vocabulary of the second-factor store: enrolment
// records, recovery-code digests, replay records, lockouts, challenge
// State (with the digest of a code sent by e-mail or SMS), the per-user
// second-factor method, the resend limit of sent codes and the audit trail
// of admin actions. Drivers (store/sqlstore, store/pgstore) implement
// Store; store/storetest holds the conformance suite every driver must
// pass.
//
// It imports only the standard library and radiusd/secret (LoadMigrations
// reads a driver's embedded files through io/fs); it must never
// import database/sql or a driver.
package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

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
	// ErrTooSoon: a code was sent to the user less than the resend gap ago.
	ErrTooSoon = errors.New("store: code sent too recently")
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

// Method is the per-user choice of second factor.
type Method string

// Second-factor methods.
const (
	// MethodDefault: no per-user choice; the site's group rules decide.
	MethodDefault Method = "default"
	// MethodTOTP: a code from the user's authenticator app.
	MethodTOTP Method = "totp"
	// MethodEmail: a one-time code sent by e-mail.
	MethodEmail Method = "email"
	// MethodSMS: a one-time code sent by SMS.
	MethodSMS Method = "sms"
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
	Method       Method    // never empty; MethodDefault unless set
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
	// Code is the caller's keyed digest of the code sent by e-mail or SMS
	// with this challenge (the code itself is never stored); nil for a
	// TOTP challenge. An empty Code is stored as nil.
	Code []byte
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
	// grace start; the policy and method overrides, the lockout and the
	// last send stay.
	Reset(ctx context.Context, name string) error

	// SetPolicy stores the per-user override, creating the user if needed.
	SetPolicy(ctx context.Context, name string, p Policy, now time.Time) error
	// SetMethod stores the user's second-factor method (MethodDefault
	// clears the choice), creating the user if needed. A method that is
	// not one of the Method constants is a backend error.
	SetMethod(ctx context.Context, name string, m Method, now time.Time) error
	// ReserveSend records now as the time of the user's last sent code if
	// and only if no send was reserved after now-gap, creating the user if
	// needed; otherwise it changes nothing and returns ErrTooSoon. It is
	// one conditional statement: however many calls race, on however many
	// nodes, at most one succeeds within one gap. Callers should reserve
	// before sending, so that a failed send still counts. The times
	// compared are the callers' own, never the database's clock.
	ReserveSend(ctx context.Context, name string, now time.Time, gap time.Duration) error
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

	// PutChallenge stores a pending challenge, with its code digest if any.
	PutChallenge(ctx context.Context, c Challenge) error
	// TakeChallenge deletes and returns the challenge with this ID (code
	// digest included), or returns ErrNotFound if there is none or it
	// expired before now. Two concurrent calls never both succeed, so a
	// sent code is accepted at most once.
	TakeChallenge(ctx context.Context, id []byte, now time.Time) (Challenge, error)

	// AddAudit appends e to the audit trail with a new ID, larger than
	// every ID this store has assigned before (e.ID is ignored). An entry
	// that fails AuditEntry.Check is refused with a plain, non-sentinel
	// error and nothing is stored.
	AddAudit(ctx context.Context, e AuditEntry) error
	// ListAudit returns the entries q selects, newest (largest ID) first;
	// an empty, non-nil slice if none. A query that fails AuditQuery.Check
	// is refused with a plain, non-sentinel error.
	ListAudit(ctx context.Context, q AuditQuery) ([]AuditEntry, error)

	// Ping checks that the store is reachable.
	Ping(ctx context.Context) error
	// Close releases the store's resources.
	Close() error
}

// Record is one user's whole stored state, for moving a site from one
// store to another (radiusd store copy). Pending challenges and the time of
// the last sent code are not part of it: they matter for minutes.
type Record struct {
	User     User     // every field (Method included); RecoveryLeft follows from Recovery
	Recovery [][]byte // digests of the unused recovery codes
}

// Copier is implemented by drivers that export and restore whole records
// and the audit trail.
type Copier interface {
	// Export calls fn with every user's record, in name order, from one
	// consistent snapshot where the driver can take one.
	Export(ctx context.Context, fn func(Record) error) error
	// Restore stores a record for a name the store does not know, in one
	// transaction; ErrExists if it knows the name.
	Restore(ctx context.Context, r Record) error
	// ExportAudit calls fn with every audit entry, oldest (smallest ID)
	// first, from one consistent snapshot where the driver can take one.
	// An error from fn ends it and is returned as it is.
	ExportAudit(ctx context.Context, fn func(AuditEntry) error) error
	// RestoreAudit appends entries to the audit trail in their order, in
	// one transaction, keeping every field but the ID: each gets a new
	// one, as from AddAudit, so their order is kept. If one fails
	// AuditEntry.Check, none is stored.
	RestoreAudit(ctx context.Context, entries []AuditEntry) error
}

// Bounds of the audit trail.
const (
	// MaxAuditField is the longest Actor, Action, Target, Detail or
	// Remote of an AuditEntry, in bytes.
	MaxAuditField = 256
	// DefaultAuditLimit is how many entries ListAudit returns when
	// AuditQuery.Limit is 0; MaxAuditLimit is the most it returns.
	DefaultAuditLimit = 100
	MaxAuditLimit     = 1000
)

// AuditEntry is one admin action in the audit trail.
type AuditEntry struct {
	// ID is assigned by the store: unique, and larger for a later
	// AddAudit. Where several nodes add entries at the same moment, an
	// entry may commit a moment after one with a larger ID.
	ID     int64
	Time   time.Time // when (the caller's clock); drivers keep microseconds and return UTC
	Actor  string    // who: a normalised user name for the portal, "cli:<os user>" for the command line
	Action string    // what: reset, unlock, policy, method, codes, enroll, confirm, import … (snake_case)
	Target string    // whom: the normalised user name acted on ("*" for many); may be empty
	Detail string    // e.g. the new policy; never a secret or a code; may be empty
	Remote string    // from where: the client address for the portal, "local" for the command line
}

// Check reports why the store would refuse e, or nil: a zero Time; an
// empty Actor; an Action that is not snake_case (a lower-case letter,
// then lower-case letters, digits and underscores); a field longer than
// MaxAuditField bytes, not valid UTF-8 or holding a NUL byte. The error
// names the field, never its value, and is not a sentinel.
func (e AuditEntry) Check() error {
	switch {
	case e.Time.IsZero():
		return errors.New("store: audit entry: time is zero")
	case e.Actor == "":
		return errors.New("store: audit entry: actor is empty")
	case !snakeCase(e.Action):
		return errors.New("store: audit entry: action is not snake_case")
	}
	for _, f := range []struct{ name, value string }{
		{"actor", e.Actor}, {"action", e.Action}, {"target", e.Target}, {"detail", e.Detail}, {"remote", e.Remote},
	} {
		if err := checkAuditText(f.name, f.value); err != nil {
			return fmt.Errorf("store: audit entry: %w", err)
		}
	}
	return nil
}

// AuditQuery selects entries for ListAudit.
type AuditQuery struct {
	Target string // only entries about this user; "" = all
	Actor  string // only entries by this actor; "" = all
	Before int64  // only entries with ID < Before (paging); 0 = from the newest
	Limit  int    // at most this many (1 … MaxAuditLimit; 0 means DefaultAuditLimit)
}

// Check reports why ListAudit would refuse q, or nil: a negative Before,
// a Limit outside 0 … MaxAuditLimit, or a Target or Actor that no entry
// can hold (see AuditEntry.Check). The error is not a sentinel.
func (q AuditQuery) Check() error {
	switch {
	case q.Before < 0:
		return errors.New("store: audit query: before is negative")
	case q.Limit < 0 || q.Limit > MaxAuditLimit:
		return fmt.Errorf("store: audit query: limit %d is not between 0 and %d", q.Limit, MaxAuditLimit)
	}
	for _, f := range []struct{ name, value string }{{"target", q.Target}, {"actor", q.Actor}} {
		if err := checkAuditText(f.name, f.value); err != nil {
			return fmt.Errorf("store: audit query: %w", err)
		}
	}
	return nil
}

// Size returns how many entries q asks for: Limit, or DefaultAuditLimit
// for 0.
func (q AuditQuery) Size() int {
	if q.Limit == 0 {
		return DefaultAuditLimit
	}
	return q.Limit
}

// checkAuditText checks one text field of the audit trail.
func checkAuditText(name, s string) error {
	if len(s) > MaxAuditField {
		return fmt.Errorf("%s is longer than %d bytes", name, MaxAuditField)
	}
	if !utf8.ValidString(s) {
		return fmt.Errorf("%s is not valid UTF-8", name)
	}
	if strings.IndexByte(s, 0) >= 0 {
		return fmt.Errorf("%s holds a NUL byte", name)
	}
	return nil
}

// snakeCase reports whether s is a lower-case letter followed by
// lower-case letters, digits and underscores.
func snakeCase(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		letter := c >= 'a' && c <= 'z'
		if !letter && (i == 0 || c != '_' && (c < '0' || c > '9')) {
			return false
		}
	}
	return s != ""
}
