package storetest

import (
	"testing"
	"time"

	"radiusd/store"
)

func testEnroll(t *testing.T, s store.Store) {
	ctx := t.Context()
	want := totp(1)
	checkErr(t, "Enroll", s.Enroll(ctx, "alice", want, at(0), false), nil)
	u := mustGet(t, s, "alice")
	if u.Name != "alice" || u.State != store.StatePending || u.Policy != store.PolicyDefault {
		t.Errorf("after Enroll: name %q state %q policy %q, want alice pending default", u.Name, u.State, u.Policy)
	}
	sameTOTP(t, u.TOTP, want)
	sameTime(t, "CreatedAt", u.CreatedAt, at(0))
	if !u.EnrolledAt.IsZero() || u.LastStep != 0 || u.RecoveryLeft != 0 {
		t.Errorf("pending user: EnrolledAt %v LastStep %d RecoveryLeft %d, want zero", u.EnrolledAt, u.LastStep, u.RecoveryLeft)
	}

	// A pending enrolment is replaced without force (the user rescans).
	checkErr(t, "Enroll over pending", s.Enroll(ctx, "alice", totp(2), at(5), false), nil)
	u = mustGet(t, s, "alice")
	sameTOTP(t, u.TOTP, totp(2))
	sameTime(t, "CreatedAt after re-enrolment", u.CreatedAt, at(0))

	// A user that exists only through SetPolicy can enroll.
	checkErr(t, "SetPolicy", s.SetPolicy(ctx, "bob", store.PolicyRequired, at(0)), nil)
	checkErr(t, "Enroll policy-only user", s.Enroll(ctx, "bob", totp(3), at(1), false), nil)
	if u := mustGet(t, s, "bob"); u.State != store.StatePending || u.Policy != store.PolicyRequired {
		t.Errorf("bob: state %q policy %q, want pending required", u.State, u.Policy)
	}
}

func testEnrollExisting(t *testing.T, s store.Store) {
	ctx := t.Context()
	mustActive(t, s, "alice", 1, digests(1, 8))
	checkErr(t, "Enroll over active", s.Enroll(ctx, "alice", totp(2), at(10), false), store.ErrExists)
	u := mustGet(t, s, "alice")
	if u.State != store.StateActive || u.LastStep != 100 || u.RecoveryLeft != 8 {
		t.Errorf("refused Enroll changed the user: state %q LastStep %d RecoveryLeft %d", u.State, u.LastStep, u.RecoveryLeft)
	}
	sameTOTP(t, u.TOTP, totp(1))

	checkErr(t, "Enroll with force", s.Enroll(ctx, "alice", totp(2), at(10), true), nil)
	u = mustGet(t, s, "alice")
	if u.State != store.StatePending || u.LastStep != 0 || u.RecoveryLeft != 0 || !u.EnrolledAt.IsZero() {
		t.Errorf("forced Enroll: state %q LastStep %d RecoveryLeft %d EnrolledAt %v, want pending 0 0 zero",
			u.State, u.LastStep, u.RecoveryLeft, u.EnrolledAt)
	}
	sameTOTP(t, u.TOTP, totp(2))
	checkErr(t, "old recovery code after forced Enroll",
		s.UseRecoveryCode(ctx, "alice", digests(1, 1)[0], at(11)), store.ErrNotFound)
	checkErr(t, "AcceptStep on pending", s.AcceptStep(ctx, "alice", 500, 0, at(11)), store.ErrNotFound)
}

func testActivate(t *testing.T, s store.Store) {
	ctx := t.Context()
	codes := digests(1, 8)
	checkErr(t, "Activate unknown", s.Activate(ctx, "nobody", 100, 0, codes, at(0)), store.ErrNotPending)
	checkErr(t, "SetPolicy", s.SetPolicy(ctx, "bob", store.PolicyRequired, at(0)), nil)
	checkErr(t, "Activate user without enrolment", s.Activate(ctx, "bob", 100, 0, codes, at(0)), store.ErrNotPending)

	checkErr(t, "Enroll", s.Enroll(ctx, "alice", totp(1), at(0), false), nil)
	checkErr(t, "Activate", s.Activate(ctx, "alice", 1234, -1, codes, at(7)), nil)
	u := mustGet(t, s, "alice")
	if u.State != store.StateActive || u.LastStep != 1234 || u.Drift != -1 || u.RecoveryLeft != 8 {
		t.Errorf("after Activate: state %q LastStep %d Drift %d RecoveryLeft %d, want active 1234 -1 8",
			u.State, u.LastStep, u.Drift, u.RecoveryLeft)
	}
	sameTime(t, "EnrolledAt", u.EnrolledAt, at(7))
	sameTOTP(t, u.TOTP, totp(1))
	checkErr(t, "Activate twice", s.Activate(ctx, "alice", 1300, 0, nil, at(8)), store.ErrNotPending)
	checkErr(t, "the activating step again", s.AcceptStep(ctx, "alice", 1234, 0, at(8)), store.ErrReplay)
	checkErr(t, "a recovery code", s.UseRecoveryCode(ctx, "alice", codes[3], at(8)), nil)
}

func testImport(t *testing.T, s store.Store) {
	ctx := t.Context()
	checkErr(t, "Import", s.Import(ctx, "alice", totp(1), at(3), false), nil)
	u := mustGet(t, s, "alice")
	if u.State != store.StateActive || u.LastStep != 0 || u.RecoveryLeft != 0 {
		t.Errorf("after Import: state %q LastStep %d RecoveryLeft %d, want active 0 0", u.State, u.LastStep, u.RecoveryLeft)
	}
	sameTOTP(t, u.TOTP, totp(1))
	sameTime(t, "EnrolledAt", u.EnrolledAt, at(3))
	checkErr(t, "AcceptStep after Import", s.AcceptStep(ctx, "alice", 1, 0, at(4)), nil)

	checkErr(t, "Import over active", s.Import(ctx, "alice", totp(2), at(5), false), store.ErrExists)
	sameTOTP(t, mustGet(t, s, "alice").TOTP, totp(1))

	checkErr(t, "ReplaceRecoveryCodes", s.ReplaceRecoveryCodes(ctx, "alice", digests(1, 4), at(5)), nil)
	checkErr(t, "Import with force", s.Import(ctx, "alice", totp(2), at(6), true), nil)
	u = mustGet(t, s, "alice")
	if u.State != store.StateActive || u.LastStep != 0 || u.RecoveryLeft != 0 {
		t.Errorf("after forced Import: state %q LastStep %d RecoveryLeft %d, want active 0 0", u.State, u.LastStep, u.RecoveryLeft)
	}
	sameTOTP(t, u.TOTP, totp(2))

	checkErr(t, "Enroll", s.Enroll(ctx, "bob", totp(3), at(0), false), nil)
	checkErr(t, "Import over pending", s.Import(ctx, "bob", totp(4), at(1), false), nil)
	if u := mustGet(t, s, "bob"); u.State != store.StateActive {
		t.Errorf("bob state %q, want active", u.State)
	}
}

func testReset(t *testing.T, s store.Store) {
	ctx := t.Context()
	checkErr(t, "Reset unknown", s.Reset(ctx, "nobody"), store.ErrNotFound)
	codes := digests(1, 8)
	mustActive(t, s, "alice", 1, codes)
	checkErr(t, "SetPolicy", s.SetPolicy(ctx, "alice", store.PolicyExempt, at(2)), nil)
	if _, err := s.StartGrace(ctx, "alice", at(2)); err != nil {
		t.Fatalf("StartGrace: %v", err)
	}
	lock, err := s.RecordFailure(ctx, "alice", store.Failure{Fingerprint: []byte("f1"), Now: at(3), MaxFailures: 1, LockFor: time.Minute})
	checkErr(t, "RecordFailure", err, nil)
	if _, err := s.RecordFailure(ctx, "alice", store.Failure{Fingerprint: []byte("f2"), Now: at(4), MaxFailures: 5, LockFor: time.Minute}); err != nil {
		t.Fatalf("RecordFailure: %v", err)
	}

	checkErr(t, "Reset", s.Reset(ctx, "alice"), nil)
	u := mustGet(t, s, "alice")
	if u.State != store.StateNone || u.TOTP.Secret.Len() != 0 || u.LastStep != 0 || u.RecoveryLeft != 0 {
		t.Errorf("after Reset: state %q secret %d bytes LastStep %d RecoveryLeft %d, want none, empty, 0, 0",
			u.State, u.TOTP.Secret.Len(), u.LastStep, u.RecoveryLeft)
	}
	if !u.GraceStarted.IsZero() || !u.EnrolledAt.IsZero() {
		t.Errorf("after Reset: GraceStarted %v EnrolledAt %v, want zero", u.GraceStarted, u.EnrolledAt)
	}
	if u.Policy != store.PolicyExempt || u.Failures != 1 {
		t.Errorf("after Reset: policy %q failures %d, want exempt 1 (they stay)", u.Policy, u.Failures)
	}
	sameTime(t, "LockedUntil after Reset", u.LockedUntil, lock)
	checkErr(t, "recovery code after Reset", s.UseRecoveryCode(ctx, "alice", codes[0], at(5)), store.ErrNotFound)
	checkErr(t, "AcceptStep after Reset", s.AcceptStep(ctx, "alice", 500, 0, at(5)), store.ErrNotFound)

	// A new enrolment starts from scratch: the old replay record is gone.
	checkErr(t, "Enroll after Reset", s.Enroll(ctx, "alice", totp(2), at(6), false), nil)
	checkErr(t, "Activate after Reset", s.Activate(ctx, "alice", 50, 0, nil, at(7)), nil)
	if u := mustGet(t, s, "alice"); u.LastStep != 50 {
		t.Errorf("LastStep %d after re-enrolment, want 50", u.LastStep)
	}
}

func testSetPolicy(t *testing.T, s store.Store) {
	ctx := t.Context()
	for i, p := range []store.Policy{store.PolicyRequired, store.PolicyExempt, store.PolicyDefault} {
		checkErr(t, "SetPolicy "+string(p), s.SetPolicy(ctx, "alice", p, at(i)), nil)
		u := mustGet(t, s, "alice")
		if u.Policy != p || u.State != store.StateNone {
			t.Errorf("policy %q state %q, want %q none", u.Policy, u.State, p)
		}
		sameTime(t, "CreatedAt", u.CreatedAt, at(0))
	}
	mustActive(t, s, "bob", 1, nil)
	checkErr(t, "SetPolicy on active", s.SetPolicy(ctx, "bob", store.PolicyExempt, at(5)), nil)
	u := mustGet(t, s, "bob")
	if u.Policy != store.PolicyExempt || u.State != store.StateActive || u.LastStep != 100 {
		t.Errorf("bob: policy %q state %q LastStep %d, want exempt active 100", u.Policy, u.State, u.LastStep)
	}
	sameTOTP(t, u.TOTP, totp(1))
}
