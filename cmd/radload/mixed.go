package main

import (
	"bytes"
	"context"
	"time"

	"layeh.com/radius"
)

// mixKind is one kind of request of the mixed scenario.
type mixKind int

const (
	mixFresh  mixKind = iota // a never-used code: Access-Accept
	mixWrong                 // a code no server could accept: Access-Reject
	mixReplay                // an accepted code again, in a new packet: Access-Reject
	mixResend                // the identical bytes of an accepted request: Access-Accept (RFC 5080)
	mixStatus                // Status-Server (RFC 5997): Access-Accept
	numMixKinds
)

// mixKindNames and mixExpect name each kind and the reply it must get.
var (
	mixKindNames = [numMixKinds]string{"fresh", "wrong", "replay", "retransmit", "status"}
	mixExpect    = [numMixKinds]radius.Code{radius.CodeAccessAccept, radius.CodeAccessReject,
		radius.CodeAccessReject, radius.CodeAccessAccept, radius.CodeAccessAccept}
)

// mixPattern is the cycle of kinds each worker goes through, one request
// each: 10 fresh, 3 wrong, 2 replays, 2 retransmissions and 3 Status-Server
// in 20. Each replay and retransmission directly follows a fresh code, so
// it has a recently accepted one to use. Worker i starts at slot i mod 20.
var mixPattern = [...]mixKind{
	mixFresh, mixResend, mixStatus, mixFresh, mixWrong, mixFresh, mixReplay, mixStatus, mixFresh, mixWrong,
	mixFresh, mixResend, mixFresh, mixStatus, mixFresh, mixReplay, mixFresh, mixWrong, mixFresh, mixFresh,
}

// mixDescription documents mixPattern's ratio.
const mixDescription = "50% fresh code → Accept, 15% wrong code → Reject, 10% replay → Reject, " +
	"10% retransmission → Accept, 15% Status-Server → Accept"

// maxResendAge: a replay or retransmission uses the worker's last accepted
// request only if it was sent at most this long ago, well within the
// duplicate-cache lifetime of radiusd (30 s) and FreeRADIUS (cleanup_delay,
// 5 s). Otherwise its slot sends a fresh code instead.
const maxResendAge = 3 * time.Second

// mixState is one worker's memory for the mixed scenario.
type mixState struct {
	slot     int      // next index into mixPattern
	ok       bool     // accepted holds a request answered with Access-Accept
	accepted outgoing // the worker's last such fresh request
	reply    []byte   // the reply it got
	user     int      // its user
	step     int64    // and time step
	at       time.Time
}

// nextKind returns the kind of the worker's next request and advances its
// slot. A replay or retransmission with no recent accepted request to use
// becomes a fresh code.
func (m *mixState) nextKind(now time.Time) mixKind {
	k := mixPattern[m.slot]
	m.slot = (m.slot + 1) % len(mixPattern)
	if (k == mixReplay || k == mixResend) && (!m.ok || now.Sub(m.at) > maxResendAge) {
		return mixFresh
	}
	return k
}

// kindCounts are the outcomes of one kind of request of the mixed scenario.
type kindCounts struct {
	requests uint64
	wrong    uint64 // answered, but not with the reply the kind must get (or invalid)
	timeouts uint64
}

// addDelta adds to k the requests, wrong answers and timeouts counted
// between the before and after snapshots of a worker's counts.
func (k *kindCounts) addDelta(before, after *counts) {
	k.requests += after.requests - before.requests
	k.wrong += after.unexpected + after.invalid - before.unexpected - before.invalid
	k.timeouts += after.timeouts - before.timeouts
}

// stepMixed sends one request of the kind the worker's pattern gives (see
// mixPattern) and checks its reply against what that kind must get.
func (r *runner) stepMixed(ctx context.Context, w *worker) error {
	kind := w.mix.nextKind(r.cfg.now())
	before := w.c
	err := r.mixRequest(ctx, w, kind)
	w.c.kinds[kind].addDelta(&before, &w.c)
	return err
}

// mixRequest sends one request of the given kind.
func (r *runner) mixRequest(ctx context.Context, w *worker, kind mixKind) error {
	switch kind {
	case mixFresh:
		return r.mixFresh(ctx, w)
	case mixWrong:
		return r.stepReject(ctx, w)
	case mixReplay:
		code, err := r.users.code(w.mix.user, w.mix.step)
		if err != nil {
			return err
		}
		out, err := w.newRequest(radius.CodeAccessRequest, r.users.names[w.mix.user], r.userPassword(code))
		if err != nil {
			return err
		}
		_, err = w.exchange(ctx, out, mixExpect[mixReplay])
		return err
	case mixResend:
		reply, err := w.exchange(ctx, w.mix.accepted, mixExpect[mixResend])
		if reply != nil && bytes.Equal(reply, w.mix.reply) {
			w.c.cached++
		}
		return err
	default:
		return r.stepStatus(ctx, w)
	}
}

// mixFresh sends a never-used code, expecting Access-Accept, and remembers
// the request when it is accepted for later replays and retransmissions.
func (r *runner) mixFresh(ctx context.Context, w *worker) error {
	p, out, err := r.freshRequest(ctx, w)
	if err != nil {
		return err
	}
	defer r.sched.release(p.user)
	sent := r.cfg.now()
	reply, err := w.exchange(ctx, out, mixExpect[mixFresh])
	if reply != nil && radius.Code(reply[0]) == radius.CodeAccessAccept {
		w.mix = mixState{slot: w.mix.slot, ok: true, accepted: out, reply: bytes.Clone(reply),
			user: p.user, step: p.step, at: sent}
	}
	return err
}

// kindReport is the outcome of one kind of request of the mixed scenario.
type kindReport struct {
	Kind     string `json:"kind"`
	Expect   string `json:"expect"`
	Requests uint64 `json:"requests"`
	Wrong    uint64 `json:"wrong_answers"`
	Timeouts uint64 `json:"timeouts"`
}

// mixReport lists the outcome of each kind of request, in mixKind order.
func mixReport(c *counts) []kindReport {
	out := make([]kindReport, numMixKinds)
	for k := range numMixKinds {
		kc := c.kinds[k]
		out[k] = kindReport{Kind: mixKindNames[k], Expect: mixExpect[k].String(),
			Requests: kc.requests, Wrong: kc.wrong, Timeouts: kc.timeouts}
	}
	return out
}
