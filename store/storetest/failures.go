package storetest

import (
	"fmt"
	"testing"
	"time"

	"radiusd/store"
)

// failure returns a Failure with fingerprint fp at second n.
func failure(fp string, n, maxFailures int) store.Failure {
	return store.Failure{Fingerprint: []byte(fp), Now: at(n), MaxFailures: maxFailures, LockFor: 15 * time.Minute}
}

func testRecordFailure(t *testing.T, s store.Store) {
	mustActive(t, s, "alice", 1, nil)
	tests := []struct {
		name     string
		user     string
		f        store.Failure
		failures int
	}{
		{name: "first", user: "alice", f: failure("a", 10, 5), failures: 1},
		{name: "retransmitted", user: "alice", f: failure("a", 11, 5), failures: 1},
		{name: "second code", user: "alice", f: failure("b", 12, 5), failures: 2},
		{name: "first code again", user: "alice", f: failure("a", 13, 5), failures: 3},
		{name: "no fingerprint", user: "alice", f: failure("", 14, 5), failures: 4},
		{name: "new user", user: "nobody", f: failure("a", 15, 5), failures: 1},
		{name: "never lock", user: "zed", f: failure("z1", 16, 0), failures: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lock, err := s.RecordFailure(t.Context(), tt.user, tt.f)
			checkErr(t, "RecordFailure", err, nil)
			if !lock.IsZero() {
				t.Errorf("locked until %v before MaxFailures", lock)
			}
			u := mustGet(t, s, tt.user)
			if u.Failures != tt.failures || !u.LockedUntil.IsZero() {
				t.Errorf("Failures %d LockedUntil %v, want %d zero", u.Failures, u.LockedUntil, tt.failures)
			}
		})
	}
	if u := mustGet(t, s, "nobody"); u.State != store.StateNone || u.Policy != store.PolicyDefault {
		t.Errorf("user created by RecordFailure: state %q policy %q, want none default", u.State, u.Policy)
	}
	// An empty fingerprint is no fingerprint: each one counts.
	if _, err := s.RecordFailure(t.Context(), "alice", failure("", 17, 10)); err != nil {
		t.Fatal(err)
	}
	if u := mustGet(t, s, "alice"); u.Failures != 5 {
		t.Errorf("Failures %d after two failures without fingerprint, want 5", u.Failures)
	}
}

func testRecordFailureLock(t *testing.T, s store.Store) {
	ctx := t.Context()
	for i := range 2 {
		lock, err := s.RecordFailure(ctx, "alice", failure(fmt.Sprint(i), i, 3))
		if err != nil || !lock.IsZero() {
			t.Fatalf("failure %d: lock %v err %v", i, lock, err)
		}
	}
	// The retransmitted second failure must not be the one that locks.
	if lock, err := s.RecordFailure(ctx, "alice", failure("1", 2, 3)); err != nil || !lock.IsZero() {
		t.Fatalf("retransmitted failure: lock %v err %v", lock, err)
	}
	lock, err := s.RecordFailure(ctx, "alice", failure("2", 3, 3))
	checkErr(t, "third failure", err, nil)
	want := at(3).Add(15 * time.Minute)
	sameTime(t, "lockedUntil returned", lock, want)
	u := mustGet(t, s, "alice")
	sameTime(t, "LockedUntil stored", u.LockedUntil, want)
	if u.Failures != 0 {
		t.Errorf("Failures %d after the lock, want 0 (reset)", u.Failures)
	}
	// While locked, a further failure reports the lock.
	lock, err = s.RecordFailure(ctx, "alice", failure("3", 4, 3))
	checkErr(t, "failure while locked", err, nil)
	sameTime(t, "lockedUntil while locked", lock, want)

	// MaxFailures 1 locks a user on its first failure, even a new one.
	lock, err = s.RecordFailure(ctx, "bob", failure("x", 5, 1))
	checkErr(t, "MaxFailures 1", err, nil)
	sameTime(t, "lockedUntil for bob", lock, at(5).Add(15*time.Minute))

	// After the lock expires, RecordFailure reports no lock again.
	lock, err = s.RecordFailure(ctx, "alice", failure("4", 3600, 3))
	checkErr(t, "failure after expiry", err, nil)
	if !lock.IsZero() {
		t.Errorf("lockedUntil %v after the lock expired, want zero", lock)
	}
}

func testRecordFailureConcurrent(t *testing.T, s store.Store) {
	const n = 16
	errs := race(n, func(i int) error {
		_, err := s.RecordFailure(t.Context(), "alice", failure(fmt.Sprint("fp", i), i, 0))
		return err
	})
	for i, err := range errs {
		checkErr(t, fmt.Sprint("RecordFailure ", i), err, nil)
	}
	if u := mustGet(t, s, "alice"); u.Failures != n {
		t.Errorf("Failures %d after %d concurrent distinct failures, want %d (lost update)", u.Failures, n, n)
	}
	// Concurrent failures crossing MaxFailures lock exactly once per
	// MaxFailures failures: 16 failures with MaxFailures 4 end unlocked
	// at zero only if every increment was counted.
	errs = race(n, func(i int) error {
		_, err := s.RecordFailure(t.Context(), "bob", failure(fmt.Sprint("fp", i), 100, 4))
		return err
	})
	for i, err := range errs {
		checkErr(t, fmt.Sprint("RecordFailure bob ", i), err, nil)
	}
	u := mustGet(t, s, "bob")
	if u.Failures != 0 {
		t.Errorf("bob Failures %d, want 0", u.Failures)
	}
	sameTime(t, "bob LockedUntil", u.LockedUntil, at(100).Add(15*time.Minute))
}

func testUnlock(t *testing.T, s store.Store) {
	ctx := t.Context()
	checkErr(t, "Unlock unknown", s.Unlock(ctx, "nobody"), store.ErrNotFound)
	if _, err := s.RecordFailure(ctx, "alice", failure("a", 0, 1)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RecordFailure(ctx, "alice", failure("b", 1, 5)); err != nil {
		t.Fatal(err)
	}
	checkErr(t, "Unlock", s.Unlock(ctx, "alice"), nil)
	u := mustGet(t, s, "alice")
	if u.Failures != 0 || !u.LockedUntil.IsZero() {
		t.Errorf("after Unlock: Failures %d LockedUntil %v, want 0 zero", u.Failures, u.LockedUntil)
	}
	// Unlock forgets the last fingerprint too: the same code counts again.
	if _, err := s.RecordFailure(ctx, "alice", failure("b", 2, 5)); err != nil {
		t.Fatal(err)
	}
	if u := mustGet(t, s, "alice"); u.Failures != 1 {
		t.Errorf("Failures %d, want 1", u.Failures)
	}
	checkErr(t, "Unlock an unlocked user", s.Unlock(ctx, "alice"), nil)
}

func testStartGrace(t *testing.T, s store.Store) {
	ctx := t.Context()
	for i, want := range []time.Time{at(10), at(10), at(10)} {
		got, err := s.StartGrace(ctx, "alice", at(10+100*i))
		checkErr(t, "StartGrace", err, nil)
		sameTime(t, fmt.Sprint("StartGrace call ", i), got, want)
	}
	u := mustGet(t, s, "alice")
	sameTime(t, "GraceStarted", u.GraceStarted, at(10))
	if u.State != store.StateNone {
		t.Errorf("state %q, want none", u.State)
	}
	starts := make([]time.Time, 16)
	errs := race(len(starts), func(i int) error {
		var err error
		starts[i], err = s.StartGrace(ctx, "bob", at(i))
		return err
	})
	for i, err := range errs {
		checkErr(t, "concurrent StartGrace", err, nil)
		if !starts[i].Equal(starts[0]) {
			t.Errorf("StartGrace %d returned %v, another returned %v", i, starts[i], starts[0])
		}
	}
	sameTime(t, "bob GraceStarted", mustGet(t, s, "bob").GraceStarted, starts[0])
}
