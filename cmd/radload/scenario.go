package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync/atomic"
	"time"

	"layeh.com/radius"
)

// Scenario names accepted by run --scenario.
const (
	scenCode         = "code"
	scenPasswordCode = "password-code"
	scenReject       = "reject"
	scenReplay       = "replay"
	scenStatus       = "status"
	scenDuplicate    = "duplicate"
	scenPassword     = "password"
	scenMixed        = "mixed"
)

// scenarioNames lists every scenario in documentation order.
var scenarioNames = []string{scenCode, scenPasswordCode, scenReject, scenReplay, scenStatus, scenDuplicate,
	scenPassword, scenMixed}

// validReach is how many steps either side of the current one a server may
// accept: a skew of 1 around a learned drift of up to 4 steps (radiusd's
// defaults). The reject scenario's wrong codes differ from all of them.
const validReach = 5

// wrongStepOffset is how far ahead of the current step the reject scenario
// takes its wrong codes (beyond validReach).
const wrongStepOffset = validReach + 1

// runner holds what the workers of one run share. Its methods are safe for
// concurrent use by the workers.
type runner struct {
	cfg    runConfig
	users  *userSet
	sched  *codeScheduler
	wrong  atomic.Uint64 // wrong codes sent (reject, mixed) so far
	next   atomic.Uint64 // requests made by the password scenario so far
	pace   *pacer        // nil in a closed loop (no --rate)
	budget *budget       // --max-requests, shared by the workers
	step   func(r *runner, ctx context.Context, w *worker) error
}

// newRunner prepares the users and scheduler the scenario needs.
func newRunner(cfg runConfig) (*runner, error) {
	r := &runner{cfg: cfg, budget: newBudget(cfg.maxRequests)}
	if cfg.rate > 0 {
		r.pace = newPacer(cfg.rate, cfg.concurrency, time.Time{}, time.Now)
	}
	steps := map[string]func(*runner, context.Context, *worker) error{
		scenCode: (*runner).stepFresh, scenPasswordCode: (*runner).stepFresh,
		scenReject: (*runner).stepReject, scenReplay: (*runner).stepReplay,
		scenStatus: (*runner).stepStatus, scenDuplicate: (*runner).stepDuplicate,
		scenPassword: (*runner).stepPassword, scenMixed: (*runner).stepMixed,
	}
	r.step = steps[cfg.scenario]
	if r.step == nil {
		return nil, usagef("radload: --scenario %q is not one of %v", cfg.scenario, scenarioNames)
	}
	if cfg.scenario != scenStatus {
		r.users = newUserSet(cfg.prefix, cfg.seed, cfg.firstUser, cfg.users)
	}
	if cfg.scenario != scenStatus && cfg.scenario != scenPassword {
		r.sched = newCodeScheduler(cfg.users, cfg.stepsBack, cfg.stepsAhead)
	}
	return r, nil
}

// work runs scenario iterations on w until ctx ends or the budget is spent.
// With --rate, each iteration first waits for its turn from the pacer.
func (r *runner) work(ctx context.Context, w *worker) error {
	for ctx.Err() == nil {
		if r.pace != nil && !r.pace.wait(ctx, w) {
			return nil
		}
		if err := r.step(r, ctx, w); err != nil {
			if errors.Is(err, errBudget) || ctx.Err() != nil {
				return nil
			}
			return err
		}
	}
	return nil
}

// userPassword returns the User-Password for a code: the code alone, or
// --password followed by the code (password-code always; reject, replay,
// duplicate and mixed when --password is set). The password scenario sends
// --password alone, with an empty code.
func (r *runner) userPassword(code string) []byte {
	if r.cfg.scenario == scenCode {
		return []byte(code)
	}
	return append(slices.Clip(r.cfg.password.Bytes()), code...)
}

// acquire returns a fresh (user, step) pair for w, waiting while there is
// none and counting the wait as starved time. It returns errBudget once the
// request budget is spent, or ctx's error.
func (r *runner) acquire(ctx context.Context, w *worker) (pick, error) {
	for {
		select {
		case <-w.budget.spent():
			return pick{}, errBudget
		default:
		}
		now := r.cfg.now()
		p, st, wake := r.sched.next(now)
		if st == picked {
			return p, nil
		}
		start := time.Now()
		timer := time.NewTimer(stepStart(stepAt(now)+1).Sub(now) + 10*time.Millisecond)
		select {
		case <-ctx.Done():
		case <-w.budget.spent():
		case <-wake: // nil when exhausted: only the step boundary helps then
		case <-timer.C:
		}
		timer.Stop()
		w.c.starved += time.Since(start)
		if err := ctx.Err(); err != nil {
			return pick{}, err
		}
	}
}

// freshRequest acquires a fresh code and encodes its Access-Request.
func (r *runner) freshRequest(ctx context.Context, w *worker) (pick, outgoing, error) {
	p, err := r.acquire(ctx, w)
	if err != nil {
		return pick{}, outgoing{}, err
	}
	code, err := r.users.code(p.user, p.step)
	if err == nil {
		var out outgoing
		out, err = w.newRequest(radius.CodeAccessRequest, r.users.names[p.user], r.userPassword(code))
		if err == nil {
			return p, out, nil
		}
	}
	r.sched.release(p.user)
	return pick{}, outgoing{}, err
}

// stepFresh (code, password-code) sends one never-used code, expecting
// Access-Accept.
func (r *runner) stepFresh(ctx context.Context, w *worker) error {
	p, out, err := r.freshRequest(ctx, w)
	if err != nil {
		return err
	}
	defer r.sched.release(p.user)
	_, err = w.exchange(ctx, out, radius.CodeAccessAccept)
	return err
}

// stepReject sends a wrong code for the next user round-robin, expecting
// Access-Reject. Successive wrong codes for one user differ.
func (r *runner) stepReject(ctx context.Context, w *worker) error {
	out, err := r.wrongRequest(w)
	if err != nil {
		return err
	}
	_, err = w.exchange(ctx, out, radius.CodeAccessReject)
	return err
}

// wrongRequest encodes an Access-Request with a wrong code (see wrongCode)
// for the next user round-robin.
func (r *runner) wrongRequest(w *worker) (outgoing, error) {
	k := r.wrong.Add(1) - 1
	n := uint64(r.users.len())
	u := int(k % n)
	code, err := r.wrongCode(u, stepAt(r.cfg.now()), int64(k/n))
	if err != nil {
		return outgoing{}, err
	}
	return w.newRequest(radius.CodeAccessRequest, r.users.names[u], r.userPassword(code))
}

// stepPassword sends --password alone (PAP, no code) for the next user
// round-robin, expecting Access-Accept: for users who need no second
// factor, or a server that asks for none.
func (r *runner) stepPassword(ctx context.Context, w *worker) error {
	u := int((r.next.Add(1) - 1) % uint64(r.users.len()))
	out, err := w.newRequest(radius.CodeAccessRequest, r.users.names[u], r.userPassword(""))
	if err != nil {
		return err
	}
	_, err = w.exchange(ctx, out, radius.CodeAccessAccept)
	return err
}

// wrongCode returns user u's code for step cur+wrongStepOffset+round, or a
// later one, that differs from the codes of every step within validReach.
func (r *runner) wrongCode(u int, cur, round int64) (string, error) {
	valid := make([]string, 0, 2*validReach+1)
	for s := cur - validReach; s <= cur+validReach; s++ {
		c, err := r.users.code(u, s)
		if err != nil {
			return "", err
		}
		valid = append(valid, c)
	}
	for s := cur + wrongStepOffset + round; ; s++ {
		c, err := r.users.code(u, s)
		if err != nil || !slices.Contains(valid, c) {
			return c, err
		}
	}
}

// stepReplay sends a fresh code (expecting Access-Accept), then the same
// User-Password --replays times in new packets with new Identifiers,
// expecting Access-Reject each time.
func (r *runner) stepReplay(ctx context.Context, w *worker) error {
	p, out, err := r.freshRequest(ctx, w)
	if err != nil {
		return err
	}
	defer r.sched.release(p.user)
	if _, err := w.exchange(ctx, out, radius.CodeAccessAccept); err != nil {
		return err
	}
	code, err := r.users.code(p.user, p.step)
	if err != nil {
		return err
	}
	for range r.cfg.replays {
		again, err := w.newRequest(radius.CodeAccessRequest, r.users.names[p.user], r.userPassword(code))
		if err != nil {
			return err
		}
		if _, err := w.exchange(ctx, again, radius.CodeAccessReject); err != nil {
			return err
		}
	}
	return nil
}

// stepStatus sends one Status-Server (RFC 5997), expecting Access-Accept.
func (r *runner) stepStatus(ctx context.Context, w *worker) error {
	out, err := w.newRequest(radius.CodeStatusServer, "", nil)
	if err != nil {
		return err
	}
	_, err = w.exchange(ctx, out, radius.CodeAccessAccept)
	return err
}

// stepDuplicate sends a fresh code, then resends the identical bytes (same
// Identifier and Request Authenticator) --resends times. RFC 5080 duplicate
// detection should answer each resend with the cached reply: every reply is
// expected to be Access-Accept, and byte-identical ones count as cached.
func (r *runner) stepDuplicate(ctx context.Context, w *worker) error {
	p, out, err := r.freshRequest(ctx, w)
	if err != nil {
		return err
	}
	defer r.sched.release(p.user)
	reply, err := w.exchange(ctx, out, radius.CodeAccessAccept)
	if err != nil {
		return err
	}
	first := bytes.Clone(reply)
	for range r.cfg.resends {
		reply, err := w.exchange(ctx, out, radius.CodeAccessAccept)
		if err != nil {
			return err
		}
		if first != nil && bytes.Equal(reply, first) {
			w.c.cached++
		}
	}
	return nil
}

// describe returns a one-line summary of the scenario's expectation.
func describe(scenario string) string {
	switch scenario {
	case scenReject, scenReplay:
		return fmt.Sprintf("%s (expects Access-Reject; raise or disable the server's lockout)", scenario)
	case scenMixed:
		return fmt.Sprintf("%s (%s; disable the server's lockout)", scenario, mixDescription)
	default:
		return scenario
	}
}
