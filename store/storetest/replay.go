package storetest

import (
	"fmt"
	"testing"
	"time"

	"radiusd/store"
)

func testAcceptStep(t *testing.T, s store.Store) {
	mustActive(t, s, "alice", 1, nil) // last step 100
	checkErr(t, "Enroll pending", s.Enroll(t.Context(), "pat", totp(2), at(0), false), nil)
	checkErr(t, "SetPolicy", s.SetPolicy(t.Context(), "nina", store.PolicyRequired, at(0)), nil)
	tests := []struct {
		name    string
		user    string
		step    int64
		wantErr error
		want    int64 // LastStep afterwards
	}{
		{name: "later step", user: "alice", step: 101, want: 101},
		{name: "same step again", user: "alice", step: 101, wantErr: store.ErrReplay, want: 101},
		{name: "earlier step", user: "alice", step: 99, wantErr: store.ErrReplay, want: 101},
		{name: "activation step", user: "alice", step: 100, wantErr: store.ErrReplay, want: 101},
		{name: "jump ahead", user: "alice", step: 1_000_000, want: 1_000_000},
		{name: "one after", user: "alice", step: 1_000_001, want: 1_000_001},
		{name: "zero", user: "alice", step: 0, wantErr: store.ErrReplay, want: 1_000_001},
		{name: "negative", user: "alice", step: -5, wantErr: store.ErrReplay, want: 1_000_001},
		{name: "pending user", user: "pat", step: 500, wantErr: store.ErrNotFound, want: 0},
		{name: "user without enrolment", user: "nina", step: 500, wantErr: store.ErrNotFound, want: 0},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkErr(t, "AcceptStep", s.AcceptStep(t.Context(), tt.user, tt.step, 0, at(10+i)), tt.wantErr)
			if u := mustGet(t, s, tt.user); u.LastStep != tt.want {
				t.Errorf("LastStep %d, want %d", u.LastStep, tt.want)
			}
		})
	}
	checkErr(t, "AcceptStep unknown", s.AcceptStep(t.Context(), "nobody", 1, 0, at(30)), store.ErrNotFound)
	if _, err := s.Get(t.Context(), "nobody"); err == nil {
		t.Error("AcceptStep created an unknown user")
	}
}

func testAcceptStepUpdates(t *testing.T, s store.Store) {
	ctx := t.Context()
	mustActive(t, s, "alice", 1, digests(1, 3))
	for i, fp := range []string{"a", "b"} {
		if _, err := s.RecordFailure(ctx, "alice", store.Failure{Fingerprint: []byte(fp), Now: at(2 + i), MaxFailures: 10, LockFor: time.Minute}); err != nil {
			t.Fatalf("RecordFailure: %v", err)
		}
	}
	checkErr(t, "AcceptStep", s.AcceptStep(ctx, "alice", 101, 2, at(20)), nil)
	u := mustGet(t, s, "alice")
	if u.Drift != 2 || u.Failures != 0 || u.RecoveryLeft != 3 {
		t.Errorf("after AcceptStep: Drift %d Failures %d RecoveryLeft %d, want 2 0 3", u.Drift, u.Failures, u.RecoveryLeft)
	}
	sameTime(t, "LastUsed", u.LastUsed, at(20))
	sameTOTP(t, u.TOTP, totp(1))

	// A refused step changes nothing.
	checkErr(t, "replayed AcceptStep", s.AcceptStep(ctx, "alice", 101, -1, at(21)), store.ErrReplay)
	u = mustGet(t, s, "alice")
	if u.Drift != 2 {
		t.Errorf("replay changed Drift to %d", u.Drift)
	}
	sameTime(t, "LastUsed after replay", u.LastUsed, at(20))

	// After a success the same wrong code counts again.
	if _, err := s.RecordFailure(ctx, "alice", store.Failure{Fingerprint: []byte("b"), Now: at(22), MaxFailures: 10, LockFor: time.Minute}); err != nil {
		t.Fatalf("RecordFailure: %v", err)
	}
	if u := mustGet(t, s, "alice"); u.Failures != 1 {
		t.Errorf("Failures %d after a success and a repeated wrong code, want 1", u.Failures)
	}
}

// The heart of replay protection: however many requests carry the same
// code at once, exactly one is accepted.
func testAcceptStepConcurrent(t *testing.T, s store.Store) {
	for _, n := range []int{2, 16} {
		t.Run(fmt.Sprintf("%d goroutines", n), func(t *testing.T) {
			name := fmt.Sprintf("user%d", n)
			mustActive(t, s, name, byte(n), nil)
			for round := range 3 {
				step := int64(200 + round)
				errs := race(n, func(int) error {
					return s.AcceptStep(t.Context(), name, step, 0, at(round))
				})
				exactlyOne(t, errs, store.ErrReplay)
				if u := mustGet(t, s, name); u.LastStep != step {
					t.Errorf("LastStep %d, want %d", u.LastStep, step)
				}
			}
		})
	}
	// Different users never block each other's steps.
	names := make([]string, 16)
	for i := range names {
		names[i] = fmt.Sprintf("many%02d", i)
		mustActive(t, s, names[i], byte(i), nil)
	}
	for i, err := range race(len(names), func(i int) error {
		return s.AcceptStep(t.Context(), names[i], 101, 0, at(5))
	}) {
		checkErr(t, "AcceptStep "+names[i], err, nil)
	}
}

func testUseRecoveryCode(t *testing.T, s store.Store) {
	ctx := t.Context()
	codes := digests(1, 4)
	mustActive(t, s, "alice", 1, codes)
	mustActive(t, s, "bob", 2, digests(2, 4))
	if _, err := s.RecordFailure(ctx, "alice", store.Failure{Fingerprint: []byte("x"), Now: at(2), MaxFailures: 10, LockFor: time.Minute}); err != nil {
		t.Fatalf("RecordFailure: %v", err)
	}
	tests := []struct {
		name    string
		user    string
		digest  []byte
		wantErr error
		left    int
	}{
		{name: "first use", user: "alice", digest: codes[1], left: 3},
		{name: "second use", user: "alice", digest: codes[1], wantErr: store.ErrNotFound, left: 3},
		{name: "another code", user: "alice", digest: codes[0], left: 2},
		{name: "unknown digest", user: "alice", digest: make([]byte, 32), wantErr: store.ErrNotFound, left: 2},
		{name: "empty digest", user: "alice", digest: nil, wantErr: store.ErrNotFound, left: 2},
		{name: "prefix of a code", user: "alice", digest: codes[2][:16], wantErr: store.ErrNotFound, left: 2},
		{name: "bob's code", user: "alice", digest: digests(2, 1)[0], wantErr: store.ErrNotFound, left: 2},
		{name: "unknown user", user: "nobody", digest: codes[2], wantErr: store.ErrNotFound},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkErr(t, "UseRecoveryCode", s.UseRecoveryCode(ctx, tt.user, tt.digest, at(10+i)), tt.wantErr)
			if tt.user == "nobody" {
				return
			}
			if u := mustGet(t, s, tt.user); u.RecoveryLeft != tt.left {
				t.Errorf("RecoveryLeft %d, want %d", u.RecoveryLeft, tt.left)
			}
		})
	}
	u := mustGet(t, s, "alice")
	sameTime(t, "LastUsed", u.LastUsed, at(12))
	if u.Failures != 0 || u.LastStep != 100 {
		t.Errorf("after a recovery code: Failures %d LastStep %d, want 0 100", u.Failures, u.LastStep)
	}
	if u := mustGet(t, s, "bob"); u.RecoveryLeft != 4 {
		t.Errorf("bob RecoveryLeft %d, want 4", u.RecoveryLeft)
	}
}

func testUseRecoveryCodeConcurrent(t *testing.T, s store.Store) {
	codes := digests(1, 3)
	mustActive(t, s, "alice", 1, codes)
	for _, n := range []int{2, 16} {
		code := codes[n%3]
		errs := race(n, func(int) error {
			return s.UseRecoveryCode(t.Context(), "alice", code, at(5))
		})
		exactlyOne(t, errs, store.ErrNotFound)
	}
	if u := mustGet(t, s, "alice"); u.RecoveryLeft != 1 {
		t.Errorf("RecoveryLeft %d, want 1", u.RecoveryLeft)
	}
}

func testReplaceRecoveryCodes(t *testing.T, s store.Store) {
	ctx := t.Context()
	old, fresh := digests(1, 8), digests(2, 8)
	mustActive(t, s, "alice", 1, old)
	checkErr(t, "use an old code", s.UseRecoveryCode(ctx, "alice", old[0], at(2)), nil)
	checkErr(t, "ReplaceRecoveryCodes", s.ReplaceRecoveryCodes(ctx, "alice", fresh, at(3)), nil)
	if u := mustGet(t, s, "alice"); u.RecoveryLeft != 8 {
		t.Errorf("RecoveryLeft %d, want 8", u.RecoveryLeft)
	}
	for i, d := range old[1:] {
		checkErr(t, fmt.Sprintf("old unused code %d", i+1), s.UseRecoveryCode(ctx, "alice", d, at(4)), store.ErrNotFound)
	}
	checkErr(t, "a new code", s.UseRecoveryCode(ctx, "alice", fresh[7], at(5)), nil)

	// Reissuing a set that contains a code used before makes it usable
	// again: the set is new, whatever its digests.
	checkErr(t, "ReplaceRecoveryCodes again", s.ReplaceRecoveryCodes(ctx, "alice", old[:2], at(6)), nil)
	checkErr(t, "reissued code", s.UseRecoveryCode(ctx, "alice", old[0], at(7)), nil)
	checkErr(t, "empty set", s.ReplaceRecoveryCodes(ctx, "alice", nil, at(8)), nil)
	if u := mustGet(t, s, "alice"); u.RecoveryLeft != 0 {
		t.Errorf("RecoveryLeft %d after an empty set, want 0", u.RecoveryLeft)
	}

	checkErr(t, "unknown user", s.ReplaceRecoveryCodes(ctx, "nobody", fresh, at(9)), store.ErrNotFound)
	checkErr(t, "Enroll", s.Enroll(ctx, "pat", totp(3), at(9), false), nil)
	checkErr(t, "pending user", s.ReplaceRecoveryCodes(ctx, "pat", fresh, at(9)), store.ErrNotFound)
	if _, err := s.Get(ctx, "nobody"); err == nil {
		t.Error("ReplaceRecoveryCodes created an unknown user")
	}
}
