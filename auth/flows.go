package auth

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"radiusd/directory"
	"radiusd/store"
)

// Reply-Message texts (PRODUCT.md §6): they say what the user can do, never
// which factor was wrong.
const (
	msgFailed = "Authentication failed"
	msgLocked = "Account temporarily locked"
)

func reject(user, reason string) Decision {
	return Decision{Result: Reject, User: user, Reason: reason, ReplyMessage: msgFailed}
}

func accept(u directory.User, reason string) Decision {
	return Decision{Result: Accept, User: u.Name, Reason: reason, Groups: u.Groups}
}

// appended serves password+otp: the code is split off the end and checked
// before the remaining password.
func (a *Authenticator) appended(ctx context.Context, rec store.User, req Request) (Decision, error) {
	if d, done, err := a.withoutSecondFactor(ctx, rec, req.Password); done {
		return d, err
	}
	password, code, ok := splitSecondFactor(req.Password, rec.TOTP.Digits, req.Separator)
	if !ok {
		return a.secondFactorFailed(ctx, rec.Name, "", "missing_code")
	}
	if d, ok, err := a.verifySecondFactor(ctx, rec, code, true); !ok {
		return d, err
	}
	return a.passwordAlone(ctx, rec.Name, password, "password_and_code")
}

// withoutSecondFactor decides the users who log in with the password
// alone: those who need no second factor, and those who need one but have
// not enrolled (see notEnrolled). done is false for enrolled users who must
// present a code.
func (a *Authenticator) withoutSecondFactor(ctx context.Context, rec store.User, password string) (d Decision, done bool, err error) {
	need, err := a.needsSecondFactor(ctx, rec)
	switch {
	case err != nil:
		d, err = failed(rec.Name, err)
	case !need:
		d, err = a.passwordAlone(ctx, rec.Name, password, "password_only")
	case rec.State != store.StateActive:
		d, err = a.notEnrolled(ctx, rec, password)
	default:
		return Decision{}, false, nil
	}
	return d, true, err
}

// codeOnly serves otp-only: the user must exist, be enabled and enrolled;
// no password is checked.
func (a *Authenticator) codeOnly(ctx context.Context, rec store.User, code string) (Decision, error) {
	u, err := a.dir.Lookup(ctx, rec.Name)
	if errors.Is(err, directory.ErrNotFound) || errors.Is(err, directory.ErrDisabled) {
		return reject(rec.Name, "unknown_user"), nil
	}
	if err != nil {
		return failed(rec.Name, fmt.Errorf("auth: lookup: %w", err))
	}
	if rec.State != store.StateActive {
		return reject(rec.Name, "not_enrolled"), nil
	}
	if d, ok, err := a.verifySecondFactor(ctx, rec, strings.TrimSpace(code), true); !ok {
		return d, err
	}
	return accept(u, "code"), nil
}

// passwordOnly serves clients that cannot ask for a code: users who need a
// second factor are rejected before any password check.
func (a *Authenticator) passwordOnly(ctx context.Context, rec store.User, password string) (Decision, error) {
	need, err := a.needsSecondFactor(ctx, rec)
	if err != nil {
		return failed(rec.Name, err)
	}
	if !need {
		return a.passwordAlone(ctx, rec.Name, password, "password_only")
	}
	if rec.State != store.StateActive && a.inGrace(rec) {
		return a.notEnrolled(ctx, rec, password)
	}
	return reject(rec.Name, "second_factor_required"), nil
}

// challengeFirst serves the first request of challenge mode: the password,
// then an Access-Challenge asking for the code.
func (a *Authenticator) challengeFirst(ctx context.Context, rec store.User, req Request) (Decision, error) {
	if d, done, err := a.withoutSecondFactor(ctx, rec, req.Password); done {
		return d, err
	}
	if _, err := a.dir.Authenticate(ctx, rec.Name, req.Password); err != nil {
		return a.passwordFailed(rec.Name, err)
	}
	return a.challenge(ctx, rec.Name, req.Client)
}

// auto accepts password+code in one go; a correct bare password gets a
// challenge. A code-shaped tail that does not verify is taken as part of
// the password; if that password is wrong too, the failure is counted.
func (a *Authenticator) auto(ctx context.Context, rec store.User, req Request) (Decision, error) {
	if d, done, err := a.withoutSecondFactor(ctx, rec, req.Password); done {
		return d, err
	}
	password, code, split := splitSecondFactor(req.Password, rec.TOTP.Digits, req.Separator)
	if split {
		d, ok, err := a.verifySecondFactor(ctx, rec, code, false)
		if err != nil {
			return d, err
		}
		if ok {
			return a.passwordAlone(ctx, rec.Name, password, "password_and_code")
		}
	}
	if _, err := a.dir.Authenticate(ctx, rec.Name, req.Password); err != nil {
		if split && isCredentialError(err) {
			return a.secondFactorFailed(ctx, rec.Name, code, "bad_password_or_code")
		}
		return a.passwordFailed(rec.Name, err)
	}
	return a.challenge(ctx, rec.Name, req.Client)
}

// passwordAlone checks the password as the only remaining factor.
func (a *Authenticator) passwordAlone(ctx context.Context, name, password, reason string) (Decision, error) {
	u, err := a.dir.Authenticate(ctx, name, password)
	if err != nil {
		return a.passwordFailed(name, err)
	}
	return accept(u, reason), nil
}

// passwordFailed maps a directory error: a wrong password or disabled
// account rejects; anything else is a backend failure.
func (a *Authenticator) passwordFailed(name string, err error) (Decision, error) {
	switch {
	case errors.Is(err, directory.ErrDisabled):
		return reject(name, "disabled"), nil
	case isCredentialError(err):
		return reject(name, "bad_password"), nil
	default:
		return failed(name, fmt.Errorf("auth: check password: %w", err))
	}
}

func isCredentialError(err error) bool {
	return errors.Is(err, directory.ErrInvalidCredentials) || errors.Is(err, directory.ErrNotFound)
}
