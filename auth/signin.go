package auth

import (
	"context"
	"fmt"
	"time"

	"radiusd/store"
)

// SignInResult is the outcome of a web sign-in (the self-service portal).
// OK is false for every refusal; Reason says why, for the log line only:
// the user is told "Sign-in failed" whatever it is, except for a lockout.
type SignInResult struct {
	OK           bool
	User         string    // normalised user name ("" if the name was invalid)
	Reason       string    // stable snake_case reason for the log line
	Locked       bool      // refused because the user is locked out
	Groups       []string  // the user's directory groups, when OK
	SecondFactor bool      // a TOTP or recovery code was verified and used
	EnrolledAt   time.Time // the store's enrolment time of the user, when OK
}

// SignIn checks a portal sign-in under the same rules as a RADIUS login
// (PRODUCT.md §7, §8): a locked user is refused; an enrolled user must give
// a TOTP or recovery code, which is verified and used up before the
// password is checked; a user who is not enrolled signs in with the password
// alone, to enroll. Every failed factor, the password included, counts
// toward the lockout shared with RADIUS. A non-nil error is a backend
// failure: the caller refuses.
func (a *Authenticator) SignIn(ctx context.Context, username, password, code string) (SignInResult, error) {
	name, ok := a.opts.Names.Normalize(username)
	if !ok {
		return SignInResult{Reason: "bad_user_name"}, nil
	}
	rec, err := a.load(ctx, name)
	if err != nil {
		return SignInResult{User: name, Reason: "backend_error"}, err
	}
	if rec.LockedUntil.After(a.opts.Now()) {
		return SignInResult{User: name, Reason: "locked", Locked: true}, nil
	}
	res := SignInResult{User: name}
	if rec.State == store.StateActive {
		if code == "" {
			return SignInResult{User: name, Reason: "missing_code"}, nil
		}
		d, ok, err := a.verifySecondFactor(ctx, rec, code, true)
		if !ok {
			return SignInResult{User: name, Reason: d.Reason}, err
		}
		res.SecondFactor = true
	}
	u, err := a.dir.Authenticate(ctx, name, password)
	if err != nil {
		return a.signInPasswordFailed(ctx, name, err)
	}
	res.OK, res.Reason, res.Groups, res.EnrolledAt = true, "signed_in", u.Groups, rec.EnrolledAt
	return res, nil
}

// signInPasswordFailed counts a wrong password given to the portal toward
// the lockout. Each attempt counts: a web form has no retransmissions, so
// the fingerprint is random rather than derived from the password (a digest
// of a wrong password, often a near miss, is not worth storing).
func (a *Authenticator) signInPasswordFailed(ctx context.Context, name string, err error) (SignInResult, error) {
	d, err := a.passwordFailed(name, err)
	if err != nil {
		return SignInResult{User: name, Reason: d.Reason}, err
	}
	nonce := make([]byte, 16)
	if _, err := a.opts.Rand.Read(nonce); err != nil {
		return SignInResult{User: name, Reason: "backend_error"}, fmt.Errorf("auth: random: %w", err)
	}
	f, err := a.secondFactorFailed(ctx, name, string(nonce), d.Reason)
	if err != nil {
		return SignInResult{User: name, Reason: f.Reason}, err
	}
	return SignInResult{User: name, Reason: d.Reason}, nil
}

// VerifyCode checks and uses up a TOTP or recovery code of an enrolled
// user, as proof of presence before a sensitive change (a new set of
// recovery codes). A wrong code counts toward the lockout. ok is false
// with a reason for the log line when the code is refused.
func (a *Authenticator) VerifyCode(ctx context.Context, user, code string) (ok bool, reason string, err error) {
	name, valid := a.opts.Names.Normalize(user)
	if !valid {
		return false, "bad_user_name", nil
	}
	rec, err := a.load(ctx, name)
	switch {
	case err != nil:
		return false, "backend_error", err
	case rec.LockedUntil.After(a.opts.Now()):
		return false, "locked", nil
	case rec.State != store.StateActive:
		return false, "not_enrolled", nil
	}
	d, ok, err := a.verifySecondFactor(ctx, rec, code, true)
	return ok, d.Reason, err
}
