package auth

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"time"

	"radiusd/codes"
	"radiusd/directory"
	"radiusd/otp"
	"radiusd/store"
)

// needsSecondFactor applies the policy (PRODUCT.md §3): the per-user
// override wins; an enrolled user always uses the second factor; otherwise
// the site's enforcement decides.
func (a *Authenticator) needsSecondFactor(ctx context.Context, rec store.User) (bool, error) {
	switch {
	case rec.Policy == store.PolicyExempt:
		return false, nil
	case rec.State == store.StateActive, rec.Policy == store.PolicyRequired:
		return true, nil
	}
	pol := a.policy()
	switch pol.Enforce {
	case EnforceOptIn:
		return false, nil
	case EnforceGroups:
		u, err := a.dir.Lookup(ctx, rec.Name)
		if errors.Is(err, directory.ErrNotFound) || errors.Is(err, directory.ErrDisabled) {
			return true, nil // the password check that follows rejects
		}
		if err != nil {
			return false, fmt.Errorf("auth: lookup groups: %w", err)
		}
		return slices.ContainsFunc(u.Groups, func(g string) bool {
			return slices.ContainsFunc(pol.Groups, func(want string) bool { return strings.EqualFold(g, want) })
		}), nil
	default:
		return true, nil
	}
}

// inGrace reports whether a required, not enrolled user may still log in
// with the password alone: grace has not started yet or has not ended.
func (a *Authenticator) inGrace(rec store.User) bool {
	grace := a.policy().GracePeriod
	if grace <= 0 {
		return false
	}
	return rec.GraceStarted.IsZero() || a.opts.Now().Before(rec.GraceStarted.Add(grace))
}

// notEnrolled serves a user who must use a second factor but has none:
// outside the grace period the user is told to enroll (Reject) without a
// password check, so that no directory bind happens (PRODUCT.md §7: the
// second factor comes first); during it, the password is checked and the
// user let in with the same message.
func (a *Authenticator) notEnrolled(ctx context.Context, rec store.User, password string) (Decision, error) {
	if !a.inGrace(rec) {
		d := reject(rec.Name, "not_enrolled")
		d.ReplyMessage = a.enrollMessage()
		return d, nil
	}
	u, err := a.dir.Authenticate(ctx, rec.Name, password)
	if err != nil {
		return a.passwordFailed(rec.Name, err)
	}
	if a.inGrace(rec) {
		start, err := a.store.StartGrace(ctx, rec.Name, a.opts.Now())
		if err != nil {
			return failed(rec.Name, fmt.Errorf("auth: start grace: %w", err))
		}
		if a.opts.Now().Before(start.Add(a.policy().GracePeriod)) {
			d := accept(u, "grace_period")
			d.ReplyMessage = a.enrollMessage()
			return d, nil
		}
	}
	d := reject(rec.Name, "not_enrolled")
	d.ReplyMessage = a.enrollMessage()
	return d, nil
}

func (a *Authenticator) enrollMessage() string {
	url := a.policy().EnrollURL
	if url == "" {
		return "Two-factor enrollment required: contact your administrator"
	}
	return "Two-factor enrollment required: " + url
}

// verifySecondFactor checks a TOTP code or a recovery code and consumes it.
// ok is true only when the code was valid and is now used. When it is
// wrong, the returned Decision rejects, and the failure is counted if
// count is set. A backend failure returns an error.
func (a *Authenticator) verifySecondFactor(ctx context.Context, rec store.User, code string, count bool) (d Decision, ok bool, err error) {
	reason := "bad_code"
	switch {
	case len(code) == rec.TOTP.Digits && allDigits(code):
		reason, err = a.useTOTP(ctx, rec, code)
	default:
		if normal, valid := codes.Normalize(code); valid {
			reason, err = a.useRecoveryCode(ctx, rec.Name, normal)
		}
	}
	if err != nil {
		d, err = failed(rec.Name, err)
		return d, false, err
	}
	if reason == "" {
		return Decision{}, true, nil
	}
	if !count {
		return reject(rec.Name, reason), false, nil
	}
	d, err = a.secondFactorFailed(ctx, rec.Name, code, reason)
	return d, false, err
}

// useTOTP verifies a TOTP code and records its step; it returns the reject
// reason, or "" when the code is accepted.
func (a *Authenticator) useTOTP(ctx context.Context, rec store.User, code string) (string, error) {
	now := a.opts.Now()
	params := otp.Params{Digits: rec.TOTP.Digits, Period: rec.TOTP.Period, Algorithm: rec.TOTP.Algorithm}
	w := otp.Window{Skew: a.opts.Skew, Drift: rec.Drift, MaxDrift: a.opts.MaxDrift, After: rec.LastStep}
	m, ok := otp.Verify(rec.TOTP.Secret, params, code, now, w)
	if !ok {
		w.After = math.MinInt64 // tell a used code from a wrong one, for the log
		if _, used := otp.Verify(rec.TOTP.Secret, params, code, now, w); used {
			return "replayed_code", nil
		}
		return "bad_code", nil
	}
	err := a.store.AcceptStep(ctx, rec.Name, m.Step, m.Offset, now)
	switch {
	case errors.Is(err, store.ErrReplay):
		return "replayed_code", nil
	case errors.Is(err, store.ErrNotFound):
		return "not_enrolled", nil
	case err != nil:
		return "", fmt.Errorf("auth: accept step: %w", err)
	}
	if warn, median := a.drift.Observe(rec.Name, m.Offset, now); warn {
		a.log.Warn("server clock looks off: most users' codes are from another time step",
			"median_offset_steps", median, "period_s", rec.TOTP.Period)
	}
	return "", nil
}

// useRecoveryCode consumes a recovery code; it returns the reject reason,
// or "" when the code is accepted.
func (a *Authenticator) useRecoveryCode(ctx context.Context, name, normal string) (string, error) {
	err := a.store.UseRecoveryCode(ctx, name, a.recovery.Digest(name, normal), a.opts.Now())
	switch {
	case errors.Is(err, store.ErrNotFound):
		return "bad_recovery_code", nil
	case err != nil:
		return "", fmt.Errorf("auth: use recovery code: %w", err)
	}
	return "", nil
}

// secondFactorFailed counts a failed second factor and rejects. The same
// wrong code sent again counts once (its fingerprint matches).
func (a *Authenticator) secondFactorFailed(ctx context.Context, name, code, reason string) (Decision, error) {
	until, err := a.store.RecordFailure(ctx, name, store.Failure{
		Fingerprint: a.fingerprint(name, code),
		Now:         a.opts.Now(),
		MaxFailures: a.opts.MaxFailures,
		LockFor:     a.opts.LockFor,
	})
	if err != nil {
		return failed(name, fmt.Errorf("auth: record failure: %w", err))
	}
	if !until.IsZero() {
		a.log.Warn("user locked out", "user", name, "locked_until", until.UTC().Format(time.RFC3339))
	}
	return reject(name, reason), nil
}

// fingerprint is a keyed digest of a wrong code, bound to the user.
func (a *Authenticator) fingerprint(name, code string) []byte {
	return keyedDigest(a.opts.FingerprintKey, name, code)
}

// keyedDigest is HMAC-SHA256 under key of the length of name (8 bytes,
// big-endian), name and code: the prefix keeps ("ab", "c") and ("a",
// "bc") apart.
func keyedDigest(key []byte, name, code string) []byte {
	mac := hmac.New(sha256.New, key)
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(len(name)))
	mac.Write(n[:])
	io.WriteString(mac, name)
	io.WriteString(mac, code)
	return mac.Sum(nil)
}
