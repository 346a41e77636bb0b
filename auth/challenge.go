package auth

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"radiusd/directory"
	"radiusd/store"
)

// stateLen is the length of a random State attribute: 128 bits of
// randomness would do; 32 bytes leave no doubt.
const stateLen = 32

// challenge stores a single-use State bound to the user and the client and
// answers Access-Challenge. Only a digest of the State is stored, so a copy
// of the store cannot answer a challenge.
func (a *Authenticator) challenge(ctx context.Context, name, client string) (Decision, error) {
	d, err := a.putChallenge(ctx, name, client, a.opts.Now().Add(a.opts.ChallengeTimeout), nil)
	if err != nil {
		return d, err
	}
	d.Reason, d.ReplyMessage = "password_ok_challenge", a.opts.ChallengePrompt
	return d, nil
}

// putChallenge stores a new State for name and client, valid until
// expires, with the digest of a sent code (nil for a TOTP challenge), and
// returns the Access-Challenge carrying it.
func (a *Authenticator) putChallenge(ctx context.Context, name, client string, expires time.Time, code []byte) (Decision, error) {
	state := make([]byte, stateLen)
	if _, err := io.ReadFull(a.opts.Rand, state); err != nil {
		return failed(name, fmt.Errorf("auth: random state: %w", err))
	}
	err := a.store.PutChallenge(ctx, store.Challenge{ID: stateID(state), User: name, Client: client, Expires: expires, Code: code})
	if err != nil {
		return failed(name, fmt.Errorf("auth: put challenge: %w", err))
	}
	return Decision{Result: Challenge, User: name, State: state}, nil
}

// answerChallenge serves the follow-up of a challenge: State plus the code
// (or a recovery code) in User-Password. The State is consumed whatever the
// outcome; it must belong to the same user and client.
func (a *Authenticator) answerChallenge(ctx context.Context, name string, req Request) (Decision, error) {
	c, err := a.store.TakeChallenge(ctx, stateID(req.State), a.opts.Now())
	if errors.Is(err, store.ErrNotFound) {
		return reject(name, "unknown_state"), nil
	}
	if err != nil {
		return failed(name, fmt.Errorf("auth: take challenge: %w", err))
	}
	if c.User != name || c.Client != req.Client {
		return reject(name, "state_mismatch"), nil
	}
	rec, err := a.load(ctx, name)
	if err != nil {
		return failed(name, err)
	}
	if rec.LockedUntil.After(a.opts.Now()) {
		return Decision{User: name, Reason: "locked", ReplyMessage: msgLocked}, nil
	}
	d, ok, err := a.answerCode(ctx, rec, c, req.Password)
	if !ok {
		return d, err
	}
	u, err := a.dir.Lookup(ctx, name)
	if errors.Is(err, directory.ErrNotFound) || errors.Is(err, directory.ErrDisabled) {
		return reject(name, "unknown_user"), nil
	}
	if err != nil {
		return failed(name, fmt.Errorf("auth: lookup: %w", err))
	}
	if len(c.Code) > 0 {
		return accept(u, "sent_code"), nil
	}
	return accept(u, "challenge_code"), nil
}

// answerCode checks the code answering challenge c: a sent code (or a
// recovery code) if c carries one, else a TOTP or recovery code.
func (a *Authenticator) answerCode(ctx context.Context, rec store.User, c store.Challenge, typed string) (Decision, bool, error) {
	if len(c.Code) > 0 {
		return a.answerSentCode(ctx, rec, c, typed)
	}
	if rec.State != store.StateActive {
		return reject(rec.Name, "not_enrolled"), false, nil
	}
	return a.verifySecondFactor(ctx, rec, strings.TrimSpace(typed), true)
}

func stateID(state []byte) []byte {
	sum := sha256.Sum256(state)
	return sum[:]
}
