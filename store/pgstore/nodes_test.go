package pgstore

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"radiusd/store"
)

// twoNodes returns two Stores on one fresh database: two radiusd nodes.
func twoNodes(t *testing.T) (a, b *Store, dsn string) {
	t.Helper()
	dsn = freshDSN(t)
	return openAt(t, dsn), openAt(t, dsn), dsn
}

// race runs f(i) in n goroutines released at once and returns the errors.
func race(n int, f func(i int) error) []error {
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = f(i)
		})
	}
	close(start)
	wg.Wait()
	return errs
}

// countResults counts nil errors and errors matching want; any other
// error fails t.
func countResults(t *testing.T, errs []error, want error) (ok, refused int) {
	t.Helper()
	for i, err := range errs {
		switch {
		case err == nil:
			ok++
		case errors.Is(err, want):
			refused++
		default:
			t.Errorf("attempt %d: %v, want nil or %v", i, err, want)
		}
	}
	return ok, refused
}

// nodesNow is the callers' clock in the two-node tests.
var nodesNow = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

// PRODUCT.md §9: nodes sharing one database behave as one server.
func TestTwoNodes(t *testing.T) {
	for _, tt := range []struct {
		name string
		fn   func(t *testing.T, a, b *Store)
	}{
		{"one step accepted once across nodes", testNodesReplay},
		{"challenge begun on A answered on B", testNodesChallenge},
		{"failures on both nodes reach one lockout", testNodesLockout},
		{"reset on A is effective at once on B", testNodesReset},
		{"one code sent per gap across nodes", testNodesReserveSend},
		{"e-mail code begun on A taken once", testNodesChallengeCode},
	} {
		t.Run(tt.name, func(t *testing.T) {
			a, b, _ := twoNodes(t)
			tt.fn(t, a, b)
		})
	}
}

// 200 attempts at one step, split over both nodes: exactly one wins.
func testNodesReplay(t *testing.T, a, b *Store) {
	ctx := t.Context()
	mustDo(t, a.Import(ctx, "alice", totp(1), nodesNow, false))
	const attempts = 200
	for round := range 3 {
		step := int64(1000 + round)
		errs := race(attempts, func(i int) error {
			return []*Store{a, b}[i%2].AcceptStep(ctx, "alice", step, 0, nodesNow)
		})
		if ok, refused := countResults(t, errs, store.ErrReplay); ok != 1 || refused != attempts-1 {
			t.Errorf("round %d: %d accepted, %d refused as replays; want 1 and %d", round, ok, refused, attempts-1)
		}
	}
	for _, node := range []*Store{a, b} {
		if u, err := node.Get(ctx, "alice"); err != nil || u.LastStep != 1002 {
			t.Errorf("LastStep %d (%v), want 1002 on both nodes", u.LastStep, err)
		}
	}
}

// The NAS may send the answer to a challenge to another node.
func testNodesChallenge(t *testing.T, a, b *Store) {
	ctx := t.Context()
	c := store.Challenge{ID: bytes.Repeat([]byte{7}, 32), User: "alice", Client: "vpn", Expires: nodesNow.Add(time.Minute)}
	mustDo(t, a.PutChallenge(ctx, c))
	got, err := b.TakeChallenge(ctx, c.ID, nodesNow.Add(time.Second))
	if err != nil || got.User != "alice" || got.Client != "vpn" || !got.Expires.Equal(c.Expires) {
		t.Fatalf("TakeChallenge on B: %+v, %v", got, err)
	}
	if _, err := a.TakeChallenge(ctx, c.ID, nodesNow.Add(time.Second)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("TakeChallenge on A after B took it: %v, want ErrNotFound", err)
	}
	// A retransmitted answer racing on both nodes gets the State once.
	again := store.Challenge{ID: []byte("again"), User: "bob", Client: "vpn", Expires: nodesNow.Add(time.Minute)}
	mustDo(t, b.PutChallenge(ctx, again))
	errs := race(20, func(i int) error {
		_, err := []*Store{a, b}[i%2].TakeChallenge(ctx, again.ID, nodesNow)
		return err
	})
	if ok, _ := countResults(t, errs, store.ErrNotFound); ok != 1 {
		t.Errorf("%d nodes took one challenge, want 1", ok)
	}
}

// 100 attempts to send alice a code, split over both nodes, in rounds two
// gaps apart: one wins each round, for a new user (racing inserts) and a
// known one (racing updates), and bob's sends are not held up by alice's.
func testNodesReserveSend(t *testing.T, a, b *Store) {
	ctx := t.Context()
	const attempts, gap = 100, time.Minute
	for round := range 3 {
		now := nodesNow.Add(time.Duration(round) * 2 * gap)
		errs := race(attempts, func(i int) error {
			name := "alice"
			if i == attempts-1 {
				name = "bob"
			}
			// The nodes' clocks differ by up to a few seconds.
			return []*Store{a, b}[i%2].ReserveSend(ctx, name, now.Add(time.Duration(i%5)*time.Second), gap)
		})
		if ok, refused := countResults(t, errs[:attempts-1], store.ErrTooSoon); ok != 1 || refused != attempts-2 {
			t.Errorf("round %d: %d sends reserved, %d refused; want 1 and %d", round, ok, refused, attempts-2)
		}
		if errs[attempts-1] != nil {
			t.Errorf("round %d: bob's send: %v", round, errs[attempts-1])
		}
	}
}

// A challenge with an e-mail code's digest, begun on A, is answered once
// across both nodes, its digest intact.
func testNodesChallengeCode(t *testing.T, a, b *Store) {
	ctx := t.Context()
	c := store.Challenge{ID: []byte("mail"), User: "alice", Client: "vpn", Expires: nodesNow.Add(5 * time.Minute),
		Code: bytes.Repeat([]byte{9}, 32)}
	mustDo(t, a.PutChallenge(ctx, c))
	got := make([]store.Challenge, 20)
	errs := race(len(got), func(i int) error {
		var err error
		got[i], err = []*Store{a, b}[i%2].TakeChallenge(ctx, c.ID, nodesNow.Add(time.Minute))
		return err
	})
	if ok, _ := countResults(t, errs, store.ErrNotFound); ok != 1 {
		t.Fatalf("%d nodes took one challenge, want 1", ok)
	}
	for i, err := range errs {
		if err == nil && !bytes.Equal(got[i].Code, c.Code) {
			t.Errorf("code digest %x, want %x", got[i].Code, c.Code)
		}
	}
}

// Distinct wrong codes on both nodes count together: one lockout, seen by
// both; an unlock on one is seen by the other.
func testNodesLockout(t *testing.T, a, b *Store) {
	ctx := t.Context()
	mustDo(t, a.Import(ctx, "alice", totp(1), nodesNow, false))
	const maxFailures = 6
	locks := make([]time.Time, maxFailures)
	errs := race(maxFailures, func(i int) error {
		f := store.Failure{Fingerprint: []byte(fmt.Sprint("code", i)), Now: nodesNow, MaxFailures: maxFailures, LockFor: time.Minute}
		var err error
		locks[i], err = []*Store{a, b}[i%2].RecordFailure(ctx, "alice", f)
		return err
	})
	countResults(t, errs, nil)
	if n := len(slices.DeleteFunc(locks, time.Time.IsZero)); n != 1 || !locks[0].Equal(nodesNow.Add(time.Minute)) {
		t.Errorf("locks reported %v, want exactly one at %v", locks, nodesNow.Add(time.Minute))
	}
	for _, node := range []*Store{a, b} {
		if u, err := node.Get(ctx, "alice"); err != nil || !u.LockedUntil.Equal(nodesNow.Add(time.Minute)) {
			t.Errorf("LockedUntil %v (%v), want the lock on both nodes", u.LockedUntil, err)
		}
	}
	mustDo(t, b.Unlock(ctx, "alice"))
	if u, _ := a.Get(ctx, "alice"); !u.LockedUntil.IsZero() {
		t.Errorf("Unlock on B not seen on A: %v", u.LockedUntil)
	}
}

// An admin reset on A stops B from accepting the old secret or codes at
// once, though B has just used the user's row.
func testNodesReset(t *testing.T, a, b *Store) {
	ctx := t.Context()
	codes := [][]byte{bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 32)}
	mustDo(t, a.Enroll(ctx, "alice", totp(1), nodesNow, false))
	mustDo(t, b.Activate(ctx, "alice", 100, 0, codes, nodesNow))
	mustDo(t, b.AcceptStep(ctx, "alice", 101, 0, nodesNow))
	mustDo(t, a.Reset(ctx, "alice"))
	if err := b.AcceptStep(ctx, "alice", 102, 0, nodesNow); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("AcceptStep on B after reset on A: %v, want ErrNotFound", err)
	}
	if err := b.UseRecoveryCode(ctx, "alice", codes[0], nodesNow); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("recovery code on B after reset on A: %v, want ErrNotFound", err)
	}
	if u, err := b.Get(ctx, "alice"); err != nil || u.State != store.StateNone || u.TOTP.Secret.Len() != 0 {
		t.Errorf("Get on B after reset: state %q secret %d bytes (%v)", u.State, u.TOTP.Secret.Len(), err)
	}
}

// Recovery codes spent, replaced and reset at once on two nodes never
// deadlock and never let recovery_left drift from the unused codes.
func TestRecoveryCodesConcurrent(t *testing.T) {
	a, b, dsn := twoNodes(t)
	ctx := t.Context()
	now := nodesNow
	set := func(seed byte) [][]byte {
		out := make([][]byte, 8)
		for i := range out {
			out[i] = bytes.Repeat([]byte{seed, byte(i)}, 16)
		}
		return out
	}
	mustDo(t, a.Import(ctx, "alice", totp(1), now, false))
	for round := range 5 {
		old, fresh := set(byte(2*round)), set(byte(2*round+1))
		mustDo(t, a.ReplaceRecoveryCodes(ctx, "alice", old, now))
		errs := race(24, func(i int) error {
			node := []*Store{a, b}[i%2]
			switch {
			case i == 5:
				return node.ReplaceRecoveryCodes(ctx, "alice", fresh, now)
			case i == 11 && round == 4:
				return node.Reset(ctx, "alice")
			default:
				return node.UseRecoveryCode(ctx, "alice", old[i%8], now)
			}
		})
		countResults(t, errs, store.ErrNotFound)
		var left, unused int
		sql(t, dsn, `SELECT u.recovery_left, (SELECT count(*) FROM recovery_codes r WHERE r.user_name = u.name AND r.used_at IS NULL)
			FROM users u WHERE name = 'alice'`, nil, &left, &unused)
		if left != unused {
			t.Fatalf("round %d: recovery_left %d but %d unused codes", round, left, unused)
		}
	}
}
