package storetest

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	"radiusd/store"
)

// sendGap is the resend gap of the ReserveSend tests.
const sendGap = time.Minute

func testSetMethod(t *testing.T, s store.Store) {
	ctx := t.Context()
	methods := []store.Method{store.MethodEmail, store.MethodSMS, store.MethodTOTP, store.MethodDefault, store.MethodSMS}
	for i, m := range methods {
		checkErr(t, "SetMethod "+string(m), s.SetMethod(ctx, "alice", m, at(i)), nil)
		u := mustGet(t, s, "alice")
		if u.Method != m || u.State != store.StateNone || u.Policy != store.PolicyDefault {
			t.Errorf("method %q state %q policy %q, want %q none default", u.Method, u.State, u.Policy, m)
		}
		sameTime(t, "CreatedAt", u.CreatedAt, at(0))
	}

	// The method and the policy are independent overrides; an enrolment,
	// SetPolicy and Reset keep the method, and SetMethod keeps the rest.
	mustActive(t, s, "bob", 1, digests(1, 2))
	checkErr(t, "SetMethod on active", s.SetMethod(ctx, "bob", store.MethodEmail, at(5)), nil)
	checkErr(t, "SetPolicy", s.SetPolicy(ctx, "bob", store.PolicyRequired, at(5)), nil)
	u := mustGet(t, s, "bob")
	if u.Method != store.MethodEmail || u.Policy != store.PolicyRequired || u.State != store.StateActive ||
		u.LastStep != 100 || u.RecoveryLeft != 2 {
		t.Errorf("bob: method %q policy %q state %q LastStep %d RecoveryLeft %d, want email required active 100 2",
			u.Method, u.Policy, u.State, u.LastStep, u.RecoveryLeft)
	}
	sameTOTP(t, u.TOTP, totp(1))
	checkErr(t, "Reset", s.Reset(ctx, "bob"), nil)
	checkErr(t, "Enroll after Reset", s.Enroll(ctx, "bob", totp(2), at(6), true), nil)
	if u := mustGet(t, s, "bob"); u.Method != store.MethodEmail {
		t.Errorf("method %q after Reset and Enroll, want email (it stays)", u.Method)
	}

	testSetMethodRefused(t, s)
	checkErr(t, "SetMethod unknown user", s.SetMethod(ctx, "carol", store.MethodTOTP, at(8)), nil)
	checkMethods(t, s, map[string]store.Method{"alice": store.MethodSMS, "bob": store.MethodEmail, "carol": store.MethodTOTP})
}

// testSetMethodRefused: only the known methods are stored; a refused one
// changes nothing.
func testSetMethodRefused(t *testing.T, s store.Store) {
	ctx := t.Context()
	for _, bad := range []store.Method{"", "pigeon", "EMAIL", "sms "} {
		err := s.SetMethod(ctx, "alice", bad, at(7))
		if err == nil || errors.Is(err, store.ErrNotFound) {
			t.Errorf("SetMethod(%q): %v, want a backend error", bad, err)
		}
	}
	if u := mustGet(t, s, "alice"); u.Method != store.MethodSMS {
		t.Errorf("method %q after refused SetMethod calls, want sms", u.Method)
	}
	if err := s.SetMethod(ctx, "dave", "pigeon", at(7)); err == nil {
		t.Error("SetMethod of an unknown method for a new user succeeded")
	}
	_, err := s.Get(ctx, "dave")
	checkErr(t, "Get after a refused SetMethod", err, store.ErrNotFound)
}

// Every way of creating a user gives it MethodDefault.
func testMethodDefault(t *testing.T, s store.Store) {
	ctx := t.Context()
	checkErr(t, "Enroll", s.Enroll(ctx, "enrolled", totp(1), at(0), false), nil)
	checkErr(t, "Import", s.Import(ctx, "imported", totp(2), at(0), false), nil)
	checkErr(t, "SetPolicy", s.SetPolicy(ctx, "policy", store.PolicyExempt, at(0)), nil)
	_, err := s.RecordFailure(ctx, "failed", store.Failure{Fingerprint: []byte{1}, Now: at(0), MaxFailures: 5, LockFor: time.Minute})
	checkErr(t, "RecordFailure", err, nil)
	_, err = s.StartGrace(ctx, "grace", at(0))
	checkErr(t, "StartGrace", err, nil)
	checkErr(t, "ReserveSend", s.ReserveSend(ctx, "sent", at(0), sendGap), nil)
	want := map[string]store.Method{}
	for _, name := range []string{"enrolled", "imported", "policy", "failed", "grace", "sent"} {
		want[name] = store.MethodDefault
	}
	checkMethods(t, s, want)
}

// checkMethods fails unless Get and List show exactly these users with
// these methods.
func checkMethods(t *testing.T, s store.Store, want map[string]store.Method) {
	t.Helper()
	for name, m := range want {
		if u := mustGet(t, s, name); u.Method != m {
			t.Errorf("Get(%q).Method = %q, want %q", name, u.Method, m)
		}
	}
	users, err := s.List(t.Context())
	checkErr(t, "List", err, nil)
	got := map[string]store.Method{}
	for _, u := range users {
		got[u.Name] = u.Method
	}
	if !maps.Equal(got, want) {
		t.Errorf("List methods %v, want %v", got, want)
	}
}

func testReserveSend(t *testing.T, s store.Store) {
	steps := []struct {
		name    string
		user    string
		now     int
		wantErr error
	}{
		{name: "first send", user: "alice", now: 0},
		{name: "again at once", user: "alice", now: 0, wantErr: store.ErrTooSoon},
		{name: "a second before the gap ends", user: "alice", now: 59, wantErr: store.ErrTooSoon},
		{name: "when the gap ends", user: "alice", now: 60},
		{name: "gap counts from the last send", user: "alice", now: 61, wantErr: store.ErrTooSoon},
		{name: "another user", user: "bob", now: 61},
		{name: "refusals do not move the window", user: "alice", now: 119, wantErr: store.ErrTooSoon},
		{name: "gap after the last successful send", user: "alice", now: 120},
		{name: "long after", user: "alice", now: 100_000},
		// Another node's clock, 30 seconds behind: the send reserved "in
		// its future" is still within the gap.
		{name: "caller clock behind the last send", user: "alice", now: 99_970, wantErr: store.ErrTooSoon},
		{name: "names are exact", user: "Alice", now: 100_000},
	}
	for _, st := range steps {
		err := s.ReserveSend(t.Context(), st.user, at(st.now), sendGap)
		checkErr(t, fmt.Sprintf("%s: ReserveSend(%q, %d)", st.name, st.user, st.now), err, st.wantErr)
	}
	// ReserveSend creates an unknown user with nothing else set.
	u := mustGet(t, s, "bob")
	if u.State != store.StateNone || u.Policy != store.PolicyDefault || u.Method != store.MethodDefault ||
		u.Failures != 0 || !u.LockedUntil.IsZero() || !u.GraceStarted.IsZero() || !u.LastUsed.IsZero() {
		t.Errorf("user created by ReserveSend: %+v", u)
	}
	sameTime(t, "CreatedAt", u.CreatedAt, at(61))
	testReserveSendKeeps(t, s)
}

// testReserveSendKeeps: ReserveSend leaves an enrolment alone, and Reset
// leaves the last send alone.
func testReserveSendKeeps(t *testing.T, s store.Store) {
	ctx := t.Context()
	mustActive(t, s, "carol", 1, digests(1, 3))
	checkErr(t, "SetMethod", s.SetMethod(ctx, "carol", store.MethodSMS, at(2)), nil)
	checkErr(t, "ReserveSend active", s.ReserveSend(ctx, "carol", at(100_000), sendGap), nil)
	u := mustGet(t, s, "carol")
	if u.State != store.StateActive || u.LastStep != 100 || u.RecoveryLeft != 3 || u.Method != store.MethodSMS {
		t.Errorf("carol after ReserveSend: state %q LastStep %d RecoveryLeft %d method %q, want active 100 3 sms",
			u.State, u.LastStep, u.RecoveryLeft, u.Method)
	}
	sameTOTP(t, u.TOTP, totp(1))
	checkErr(t, "Reset", s.Reset(ctx, "carol"), nil)
	checkErr(t, "ReserveSend after Reset", s.ReserveSend(ctx, "carol", at(100_001), sendGap), store.ErrTooSoon)
}

// However many calls race for one user, one reservation wins per gap:
// for a new user (concurrent inserts) and a known one (updates).
func testReserveSendConcurrent(t *testing.T, s store.Store) {
	rounds := []struct {
		name string
		now  int
	}{
		{name: "new user", now: 0},
		{name: "known user, gap over", now: 100},
		{name: "known user, long after", now: 1000},
	}
	for _, n := range []int{2, 16} {
		user := fmt.Sprintf("user-%d", n)
		for _, r := range rounds {
			errs := race(n, func(i int) error {
				// Each caller's clock is a little off, all within the gap.
				return s.ReserveSend(t.Context(), user, at(r.now+i%3), sendGap)
			})
			t.Run(fmt.Sprintf("%s/%d", r.name, n), func(t *testing.T) { exactlyOne(t, errs, store.ErrTooSoon) })
		}
	}
	if users, err := s.List(t.Context()); err != nil || !slices.EqualFunc(users, []string{"user-16", "user-2"},
		func(u store.User, name string) bool { return u.Name == name }) {
		t.Errorf("List after the races: %d users (%v), want user-16 and user-2", len(users), err)
	}
}
