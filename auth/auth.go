package auth

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync/atomic"
	"time"

	"radiusd/codes"
	"radiusd/directory"
	"radiusd/otp"
	"radiusd/store"
)

// Directory is what the decision logic needs of a user directory; see
// directory.Directory for the error contract.
type Directory interface {
	Authenticate(ctx context.Context, username, password string) (directory.User, error)
	Lookup(ctx context.Context, username string) (directory.User, error)
}

// Store is what the decision logic needs of the second-factor store; see
// store.Store for the contract of each method.
type Store interface {
	Get(ctx context.Context, name string) (store.User, error)
	AcceptStep(ctx context.Context, name string, step int64, drift int, now time.Time) error
	UseRecoveryCode(ctx context.Context, name string, digest []byte, now time.Time) error
	RecordFailure(ctx context.Context, name string, f store.Failure) (time.Time, error)
	StartGrace(ctx context.Context, name string, now time.Time) (time.Time, error)
	PutChallenge(ctx context.Context, c store.Challenge) error
	TakeChallenge(ctx context.Context, id []byte, now time.Time) (store.Challenge, error)
	ReserveSend(ctx context.Context, name string, now time.Time, gap time.Duration) error
	Unlock(ctx context.Context, name string) error
}

// Enforcement says who must use a second factor (PRODUCT.md §3).
type Enforcement string

// Enforcement values.
const (
	EnforceAll    Enforcement = "all"
	EnforceGroups Enforcement = "groups"
	EnforceOptIn  Enforcement = "opt-in"
)

// Options configure an Authenticator. Keys are derived from the store's
// master key by the caller; they must be at least 32 bytes.
type Options struct {
	Names            NameRules
	Enforce          Enforcement
	Groups           []string      // with EnforceGroups: members must use 2FA
	EnrollURL        string        // named in the Reply-Message of users who must enroll
	GracePeriod      time.Duration // password-only logins for required, not enrolled users; 0 = none
	Skew             int           // TOTP steps accepted either side of now
	MaxDrift         int           // largest learned device drift, in steps
	MaxFailures      int           // failed second factors before a lockout; 0 = never
	LockFor          time.Duration // lockout length
	ChallengeTimeout time.Duration // lifetime of an Access-Challenge State
	ChallengePrompt  string        // Reply-Message of an Access-Challenge
	RecoveryKey      []byte        // HMAC key of recovery-code digests
	FingerprintKey   []byte        // HMAC key of failed-code fingerprints
	Messages         MessageOptions
	Now              func() time.Time
	Rand             io.Reader
}

// Authenticator decides Access-Requests. It is safe for concurrent use.
type Authenticator struct {
	opts     Options
	dir      Directory
	store    Store
	recovery *codes.Hasher
	drift    *otp.DriftMonitor
	log      *slog.Logger
	pol      atomic.Pointer[Policy]
}

// New returns an Authenticator. It checks the options but performs no I/O.
func New(opts Options, dir Directory, st Store, logger *slog.Logger) (*Authenticator, error) {
	if len(opts.RecoveryKey) < 32 || len(opts.FingerprintKey) < 32 {
		return nil, errors.New("auth: keys must be at least 32 bytes")
	}
	pol, err := policyFrom(opts).check()
	if err != nil {
		return nil, err
	}
	if err := opts.Messages.check(); err != nil {
		return nil, err
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Rand == nil {
		opts.Rand = rand.Reader
	}
	if opts.ChallengeTimeout <= 0 {
		opts.ChallengeTimeout = 2 * time.Minute
	}
	if opts.ChallengePrompt == "" {
		opts.ChallengePrompt = "Enter the code from your authenticator app"
	}
	a := &Authenticator{
		opts:     opts,
		dir:      dir,
		store:    st,
		recovery: codes.NewHasher(opts.RecoveryKey),
		drift:    otp.NewDriftMonitor(20, 0.8),
		log:      logger.With("component", "auth"),
	}
	a.pol.Store(&pol)
	return a, nil
}

// Authenticate decides one request. A nil error comes with a Decision whose
// Result is what the caller must answer. A non-nil error means a backend
// failed: the caller must reject; the returned Decision then carries only
// User and Reason, for the log line.
func (a *Authenticator) Authenticate(ctx context.Context, req Request) (Decision, error) {
	name, ok := a.opts.Names.Normalize(req.Username)
	if !ok {
		return reject("", "bad_user_name"), nil
	}
	// password+otp clients get Access-Challenge for codes sent by e-mail
	// or SMS, so their answers carry a State too.
	if len(req.State) > 0 && (req.Mode == ModeChallenge || req.Mode == ModeAuto || req.Mode == ModePasswordOTP) {
		return a.answerChallenge(ctx, name, req)
	}
	rec, err := a.load(ctx, name)
	if err != nil {
		return failed(name, err)
	}
	if rec.LockedUntil.After(a.opts.Now()) {
		return Decision{User: name, Reason: "locked", ReplyMessage: msgLocked}, nil
	}
	method, err := a.methodOf(ctx, rec)
	if err != nil {
		return failed(name, err)
	}
	if method == store.MethodEmail || method == store.MethodSMS {
		return a.messageCode(ctx, rec, req, method)
	}
	switch req.Mode {
	case ModeOTPOnly:
		return a.codeOnly(ctx, rec, req.Password)
	case ModePasswordOnly:
		return a.passwordOnly(ctx, rec, req.Password)
	case ModeChallenge:
		return a.challengeFirst(ctx, rec, req)
	case ModeAuto:
		return a.auto(ctx, rec, req)
	case ModePasswordOTP:
		return a.appended(ctx, rec, req)
	default:
		return reject(name, "bad_mode"), nil
	}
}

// load returns the store's record of name; a user the store has never seen
// is the zero record.
func (a *Authenticator) load(ctx context.Context, name string) (store.User, error) {
	rec, err := a.store.Get(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		return store.User{Name: name, State: store.StateNone, Policy: store.PolicyDefault}, nil
	}
	if err != nil {
		return store.User{}, fmt.Errorf("auth: load user: %w", err)
	}
	return rec, nil
}

// failed is the Decision and error for a backend failure.
func failed(name string, err error) (Decision, error) {
	return Decision{User: name, Reason: "backend_error", ReplyMessage: msgFailed}, err
}

// ClockOffset is the median step offset of the codes of recently accepted
// users (0 while none): a value away from 0 means the server's clock, not
// the phones', is probably off. users says how many it is taken over.
func (a *Authenticator) ClockOffset() (steps, users int) { return a.drift.Median() }
