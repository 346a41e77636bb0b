// Package storetest is the conformance suite for store.Store drivers. A
// driver's own test calls Run with a function that opens a fresh, empty
// store; every rule of the contract in package store is checked there,
// including the concurrent ones (one TOTP step, one recovery code, one
// challenge and one code sending per resend gap are each accepted exactly
// once however many goroutines race; audit entries added at once each get
// their own ID).
//
// It imports only the standard library, radiusd/secret and radiusd/store;
// it must never import a driver.
package storetest

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"radiusd/secret"
	"radiusd/store"
)

// Opener returns a new, empty store for one subtest. Run closes it when
// that subtest ends, so Close must tolerate being called twice if the
// opener also registers it.
//
// Within one subtest the times passed to the store never go backwards by
// more than a few seconds (except to show that a taken challenge stays
// gone, and that a send reserved by a caller whose clock is ahead still
// counts), so a driver may purge expired rows against the latest time it
// has been given. Times are whole
// seconds; drivers may store them with microsecond precision.
type Opener func(t *testing.T) store.Store

// base is the suite's clock: every time is base plus whole seconds, so a
// driver storing microseconds (as PostgreSQL does) compares equal.
var base = time.Date(2030, time.March, 4, 5, 6, 7, 0, time.UTC)

// at returns base plus n seconds.
func at(n int) time.Time { return base.Add(time.Duration(n) * time.Second) }

// Run runs the whole suite, one subtest per contract rule.
func Run(t *testing.T, open Opener) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"GetUnknown", testGetUnknown},
		{"Ping", testPing},
		{"CanceledContext", testCanceledContext},
		{"Enroll", testEnroll},
		{"EnrollExisting", testEnrollExisting},
		{"Activate", testActivate},
		{"Import", testImport},
		{"AcceptStep", testAcceptStep},
		{"AcceptStepUpdates", testAcceptStepUpdates},
		{"AcceptStepConcurrent", testAcceptStepConcurrent},
		{"UseRecoveryCode", testUseRecoveryCode},
		{"UseRecoveryCodeConcurrent", testUseRecoveryCodeConcurrent},
		{"ReplaceRecoveryCodes", testReplaceRecoveryCodes},
		{"Reset", testReset},
		{"SetPolicy", testSetPolicy},
		{"SetMethod", testSetMethod},
		{"MethodDefault", testMethodDefault},
		{"ReserveSend", testReserveSend},
		{"ReserveSendConcurrent", testReserveSendConcurrent},
		{"RecordFailure", testRecordFailure},
		{"RecordFailureLock", testRecordFailureLock},
		{"RecordFailureConcurrent", testRecordFailureConcurrent},
		{"Unlock", testUnlock},
		{"StartGrace", testStartGrace},
		{"Challenge", testChallenge},
		{"ChallengeExpiry", testChallengeExpiry},
		{"ChallengeConcurrent", testChallengeConcurrent},
		{"ChallengeCode", testChallengeCode},
		{"List", testList},
		{"Names", testNames},
		{"Audit", testAudit},
		{"AuditFilters", testAuditFilters},
		{"AuditPaging", testAuditPaging},
		{"AuditLimit", testAuditLimit},
		{"AuditBadInput", testAuditBadInput},
		{"AuditBounds", testAuditBounds},
		{"AuditConcurrent", testAuditConcurrent},
		{"AuditCanceledContext", testAuditCanceledContext},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := open(t)
			t.Cleanup(func() {
				if err := s.Close(); err != nil {
					t.Errorf("Close: %v", err)
				}
			})
			tt.fn(t, s)
		})
	}
	t.Run("Copy", func(t *testing.T) { runCopy(t, open) })
}

// totp returns distinct token parameters for seed.
func totp(seed byte) store.TOTP {
	key := make([]byte, 20)
	for i := range key {
		key[i] = seed + byte(i)
	}
	return store.TOTP{Secret: secret.New(key), Digits: 6, Period: 30, Algorithm: "SHA1"}
}

// digests returns n distinct 32-byte recovery-code digests for seed.
func digests(seed byte, n int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		d := make([]byte, 32)
		d[0], d[1] = seed, byte(i)
		out[i] = d
	}
	return out
}

// race runs f in n goroutines released at once and returns their errors.
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

// exactlyOne checks that one error is nil and every other one is want.
func exactlyOne(t *testing.T, errs []error, want error) {
	t.Helper()
	ok := 0
	for i, err := range errs {
		switch {
		case err == nil:
			ok++
		case !errors.Is(err, want):
			t.Errorf("goroutine %d: %v, want nil or %v", i, err, want)
		}
	}
	if ok != 1 {
		t.Errorf("%d of %d goroutines succeeded, want exactly 1", ok, len(errs))
	}
}

// mustGet returns the user or fails the test.
func mustGet(t *testing.T, s store.Store, name string) store.User {
	t.Helper()
	u, err := s.Get(t.Context(), name)
	if err != nil {
		t.Fatalf("Get(%q): %v", name, err)
	}
	return u
}

// mustActive enrolls and activates name with codes recovery digests.
func mustActive(t *testing.T, s store.Store, name string, seed byte, codes [][]byte) {
	t.Helper()
	ctx := t.Context()
	if err := s.Enroll(ctx, name, totp(seed), at(0), false); err != nil {
		t.Fatalf("Enroll(%q): %v", name, err)
	}
	if err := s.Activate(ctx, name, 100, 0, codes, at(1)); err != nil {
		t.Fatalf("Activate(%q): %v", name, err)
	}
}

// checkErr fails unless err matches want (nil means success).
func checkErr(t *testing.T, what string, err, want error) {
	t.Helper()
	if want == nil && err != nil || want != nil && !errors.Is(err, want) {
		t.Fatalf("%s: %v, want %v", what, err, want)
	}
}

// sameTOTP fails unless got holds want's secret and parameters.
func sameTOTP(t *testing.T, got, want store.TOTP) {
	t.Helper()
	if !got.Secret.Equal(want.Secret.Bytes()) {
		t.Error("TOTP secret differs from the one stored")
	}
	if got.Digits != want.Digits || got.Period != want.Period || got.Algorithm != want.Algorithm {
		t.Errorf("TOTP parameters %d/%d/%s, want %d/%d/%s",
			got.Digits, got.Period, got.Algorithm, want.Digits, want.Period, want.Algorithm)
	}
}

// sameTime fails unless got and want are the same instant.
func sameTime(t *testing.T, what string, got, want time.Time) {
	t.Helper()
	if !got.Equal(want) {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

func testGetUnknown(t *testing.T, s store.Store) {
	_, err := s.Get(t.Context(), "nobody")
	checkErr(t, "Get unknown", err, store.ErrNotFound)
}

func testPing(t *testing.T, s store.Store) {
	checkErr(t, "Ping", s.Ping(t.Context()), nil)
}

// A canceled request must fail, never look like a clean "not found" or
// succeed: callers fail closed only on errors.
func testCanceledContext(t *testing.T, s store.Store) {
	mustActive(t, s, "alice", 1, nil)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := s.Get(ctx, "alice"); err == nil {
		t.Error("Get with a canceled context succeeded")
	}
	if err := s.AcceptStep(ctx, "alice", 200, 0, at(2)); err == nil || errors.Is(err, store.ErrReplay) {
		t.Errorf("AcceptStep with a canceled context: %v, want a backend error", err)
	}
	if u := mustGet(t, s, "alice"); u.LastStep != 100 {
		t.Errorf("canceled AcceptStep changed LastStep to %d", u.LastStep)
	}
	if err := s.ReserveSend(ctx, "alice", at(2), time.Minute); err == nil || errors.Is(err, store.ErrTooSoon) {
		t.Errorf("ReserveSend with a canceled context: %v, want a backend error", err)
	}
	checkErr(t, "ReserveSend after the canceled one", s.ReserveSend(t.Context(), "alice", at(2), time.Minute), nil)
}
