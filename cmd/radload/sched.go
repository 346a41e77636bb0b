package main

import (
	"math"
	"sync"
	"time"
)

// noStep marks a user for whom no code has been used yet.
const noStep = math.MinInt64

// edgeGuard: in the last edgeGuard of a time step the scheduler no longer
// hands out the oldest step of its window, which the server would see as
// too old if the request arrived after the step boundary. With one step
// back that is the previous step (the current and the next remain); with
// none it is the current step, and with no step ahead either nothing is
// handed out until the next step begins, so the guard is shorter there
// (edgeGuardNoBack): long enough for a request to be decided on loopback.
const (
	edgeGuard       = 2 * time.Second
	edgeGuardNoBack = 500 * time.Millisecond
)

// pickStatus says what codeScheduler.next found.
type pickStatus int

const (
	picked    pickStatus = iota // a fresh (user, step) pair was handed out
	exhausted                   // every user has used all codes up to step+1: wait for the next step
	busy                        // fresh codes remain, but only for users with a request in flight
)

// pick is one (user, step) pair handed out by the scheduler.
type pick struct {
	user int
	step int64
}

// codeScheduler hands out (user, TOTP step) pairs so that each pair is used
// at most once and every code sent should be accepted by a server that
// allows back steps of skew before the current one and ahead steps after it
// (1 and 1 for radiusd's default ±1; 0 and 0 for FreeRADIUS 3.2.1's
// rlm_totp, which accepts the current step only) and refuses any step at or
// before the last accepted one (replay protection). Users are taken round-robin; a user is skipped
// while a request of theirs is in flight, so that their steps reach the
// server in increasing order. It is safe for concurrent use.
type codeScheduler struct {
	mu      sync.Mutex
	last    []int64 // last step handed out, per user
	inUse   []bool  // a request for this user is in flight
	cursor  int     // next user to consider
	dryStep int64   // a full scan at this step found no fresh code for any user
	back    int64   // steps before the current one that may be handed out
	ahead   int64   // steps after the current one that may be handed out
	waitCh  chan struct{}
}

// newCodeScheduler returns a scheduler for n users, none of whose codes
// have been used, that hands out steps from back before the current one to
// ahead after it.
func newCodeScheduler(n, back, ahead int) *codeScheduler {
	s := &codeScheduler{last: make([]int64, n), inUse: make([]bool, n), dryStep: noStep,
		back: int64(back), ahead: int64(ahead)}
	for i := range s.last {
		s.last[i] = noStep
	}
	return s
}

// window returns the range of steps a server with back steps of skew
// before the current one and ahead steps after it accepts at now, narrowed
// near the end of the step (see edgeGuard). It is empty (lo > hi) when
// nothing may be sent until the next step.
func window(now time.Time, back, ahead int64) (lo, hi int64) {
	cur := stepAt(now)
	lo = cur - back
	guard := edgeGuard
	if back == 0 {
		guard = edgeGuardNoBack
	}
	if stepStart(cur+1).Sub(now) < guard {
		lo++
	}
	return lo, cur + ahead
}

// freshStep returns the step to use next for a user whose last used step is
// last: max(last+1, lo), and whether it is still within the window lo … hi.
func freshStep(last, lo, hi int64) (int64, bool) {
	step := lo
	if last != noStep && last+1 > step {
		step = last + 1
	}
	return step, step <= hi
}

// next hands out a fresh (user, step) pair at time now and marks the user in
// use until release. When it returns exhausted, no user has a fresh code
// before the step after now begins. When it returns busy, the channel it
// returns is closed at the next release, which may free a user.
func (s *codeScheduler) next(now time.Time) (pick, pickStatus, <-chan struct{}) {
	cur := stepAt(now)
	lo, hi := window(now, s.back, s.ahead)
	s.mu.Lock()
	defer s.mu.Unlock()
	if cur == s.dryStep || len(s.last) == 0 {
		return pick{}, exhausted, nil
	}
	sawBusy := false
	for range len(s.last) {
		u := s.cursor
		s.cursor = (s.cursor + 1) % len(s.last)
		step, ok := freshStep(s.last[u], lo, hi)
		switch {
		case !ok:
			continue
		case s.inUse[u]:
			sawBusy = true
			continue
		}
		s.last[u], s.inUse[u] = step, true
		return pick{user: u, step: step}, picked, nil
	}
	if !sawBusy {
		s.dryStep = cur
		return pick{}, exhausted, nil
	}
	if s.waitCh == nil {
		s.waitCh = make(chan struct{})
	}
	return pick{}, busy, s.waitCh
}

// release marks user u as no longer in flight and wakes any waiter.
func (s *codeScheduler) release(u int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.inUse[u] = false
	if s.waitCh != nil {
		close(s.waitCh)
		s.waitCh = nil
	}
}
