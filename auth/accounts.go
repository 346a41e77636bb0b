package auth

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"time"

	"radiusd/codes"
	"radiusd/otp"
	"radiusd/secret"
	"radiusd/store"
)

// ErrWrongCode: the code offered to confirm an enrolment does not verify.
var ErrWrongCode = errors.New("auth: wrong code")

// ErrBadName: the user name is empty, too long or not valid text.
var ErrBadName = errors.New("auth: invalid user name")

// AccountStore is what enrolment and recovery-code management need of the
// store; see store.Store for the contract of each method.
type AccountStore interface {
	Get(ctx context.Context, name string) (store.User, error)
	Enroll(ctx context.Context, name string, totp store.TOTP, now time.Time, force bool) error
	Activate(ctx context.Context, name string, step int64, drift int, digests [][]byte, now time.Time) error
	Import(ctx context.Context, name string, totp store.TOTP, now time.Time, force bool) error
	ReplaceRecoveryCodes(ctx context.Context, name string, digests [][]byte, now time.Time) error
}

// AccountOptions configure Accounts.
type AccountOptions struct {
	Names         NameRules
	Issuer        string     // shown by authenticator apps
	Params        otp.Params // parameters of new enrolments
	Skew          int        // TOTP steps accepted either side of now when confirming
	RecoveryCount int        // recovery codes per set
	RecoveryKey   []byte     // HMAC key of recovery-code digests (as in Options)
	Now           func() time.Time
	Rand          io.Reader
}

// Accounts enrolls users and issues recovery codes, for the admin CLI and
// the portal. It is safe for concurrent use.
type Accounts struct {
	opts     AccountOptions
	st       AccountStore
	recovery *codes.Hasher
}

// Enrollment is a new pending TOTP secret. Secret and URI are secret: show
// them to the enrolling user only, never log them.
type Enrollment struct {
	User   string
	Secret secret.Value
	URI    secret.Value // the otpauth:// URI, which holds the secret
	Params otp.Params
}

// NewAccounts returns an Accounts over st.
func NewAccounts(opts AccountOptions, st AccountStore) (*Accounts, error) {
	if err := opts.Params.Validate(); err != nil {
		return nil, err
	}
	if len(opts.RecoveryKey) < 32 || opts.RecoveryCount <= 0 {
		return nil, errors.New("auth: accounts need a 32-byte recovery key and a code count")
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Rand == nil {
		opts.Rand = rand.Reader
	}
	return &Accounts{opts: opts, st: st, recovery: codes.NewHasher(opts.RecoveryKey)}, nil
}

// Name normalises a user name with the configured rules.
func (a *Accounts) Name(raw string) (string, error) {
	name, ok := a.opts.Names.Normalize(raw)
	if !ok {
		return "", ErrBadName
	}
	return name, nil
}

// Enroll creates a pending secret for user (store.ErrExists if an active
// one exists and force is false).
func (a *Accounts) Enroll(ctx context.Context, user string, force bool) (Enrollment, error) {
	name, err := a.Name(user)
	if err != nil {
		return Enrollment{}, err
	}
	s, err := otp.NewSecret(a.opts.Rand)
	if err != nil {
		return Enrollment{}, fmt.Errorf("auth: new secret: %w", err)
	}
	p := a.opts.Params
	t := store.TOTP{Secret: s, Digits: p.Digits, Period: p.Period, Algorithm: p.Algorithm}
	if err := a.st.Enroll(ctx, name, t, a.opts.Now(), force); err != nil {
		return Enrollment{}, fmt.Errorf("auth: enroll: %w", err)
	}
	uri := otp.URI(a.opts.Issuer, name, s, p)
	return Enrollment{User: name, Secret: s, URI: secret.New([]byte(uri)), Params: p}, nil
}

// Confirm activates a pending enrolment with a current code and returns the
// first set of recovery codes (show them once). store.ErrNotPending if
// there is nothing to confirm, ErrWrongCode if the code does not verify.
func (a *Accounts) Confirm(ctx context.Context, user, code string) ([]string, error) {
	name, err := a.Name(user)
	if err != nil {
		return nil, err
	}
	rec, err := a.st.Get(ctx, name)
	if errors.Is(err, store.ErrNotFound) || err == nil && rec.State != store.StatePending {
		return nil, fmt.Errorf("auth: confirm: %w", store.ErrNotPending)
	}
	if err != nil {
		return nil, fmt.Errorf("auth: confirm: %w", err)
	}
	now := a.opts.Now()
	p := otp.Params{Digits: rec.TOTP.Digits, Period: rec.TOTP.Period, Algorithm: rec.TOTP.Algorithm}
	m, ok := otp.Verify(rec.TOTP.Secret, p, code, now, otp.Window{Skew: a.opts.Skew})
	if !ok {
		return nil, ErrWrongCode
	}
	list, digests, err := a.newCodes(name)
	if err != nil {
		return nil, err
	}
	if err := a.st.Activate(ctx, name, m.Step, m.Offset, digests, now); err != nil {
		return nil, fmt.Errorf("auth: confirm: %w", err)
	}
	return list, nil
}

// NewRecoveryCodes replaces the user's recovery codes with a new set, in
// one transaction, and returns it (show it once). store.ErrNotFound unless
// the user is enrolled.
func (a *Accounts) NewRecoveryCodes(ctx context.Context, user string) ([]string, error) {
	name, err := a.Name(user)
	if err != nil {
		return nil, err
	}
	list, digests, err := a.newCodes(name)
	if err != nil {
		return nil, err
	}
	if err := a.st.ReplaceRecoveryCodes(ctx, name, digests, a.opts.Now()); err != nil {
		return nil, fmt.Errorf("auth: new recovery codes: %w", err)
	}
	return list, nil
}

// Import stores an existing active TOTP secret for user, taken from
// another system (store.ErrExists if one is active and force is false).
func (a *Accounts) Import(ctx context.Context, user string, s secret.Value, p otp.Params, force bool) error {
	name, err := a.Name(user)
	if err != nil {
		return err
	}
	if err := p.Validate(); err != nil {
		return err
	}
	t := store.TOTP{Secret: s, Digits: p.Digits, Period: p.Period, Algorithm: p.Algorithm}
	if err := a.st.Import(ctx, name, t, a.opts.Now(), force); err != nil {
		return fmt.Errorf("auth: import: %w", err)
	}
	return nil
}

func (a *Accounts) newCodes(name string) (list []string, digests [][]byte, err error) {
	list, err = codes.Generate(a.opts.Rand, a.opts.RecoveryCount)
	if err != nil {
		return nil, nil, fmt.Errorf("auth: recovery codes: %w", err)
	}
	for _, c := range list {
		normal, _ := codes.Normalize(c)
		digests = append(digests, a.recovery.Digest(name, normal))
	}
	return list, digests, nil
}
