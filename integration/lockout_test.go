//go:build integration

package integration

import "testing"

// TestLockout: max_failures distinct wrong codes lock the user (the right
// code is then refused with "Account temporarily locked"), a wrong code
// sent again with a new Identifier counts once, and "user unlock" lets
// the right code in again.
func TestLockout(t *testing.T) {
	t.Parallel()
	alice := newUser("alice")
	s := startServer(t, options{users: []user{alice}, maxFailures: 3})
	a := s.enroll(alice)
	wrong := a.key.wrongCodes(t, a.base, 3)

	c := s.raw()
	for id := byte(1); id <= 2; id++ {
		req := c.signed(c.pap(id, "alice", a.password+wrong[0]))
		if r := c.parse(c.exchange(req), req); r.code != codeAccessReject {
			t.Fatalf("wrong code with Identifier %d: code %d, want Access-Reject", id, r.code)
		}
	}
	if got := s.show("alice").Failures; got != 1 {
		t.Errorf("after one wrong code sent twice: failures = %d, want 1", got)
	}
	expect(t, s.auth(pap("alice", a.password+wrong[1])...), reject, msgFailed)
	if sh := s.show("alice"); sh.Failures != 2 || sh.LockedUntil != nil {
		t.Errorf("after two distinct wrong codes: %+v, want 2 failures and no lock", sh)
	}
	expect(t, s.auth(pap("alice", a.password+wrong[2])...), reject, "")
	if sh := s.show("alice"); sh.LockedUntil == nil {
		t.Fatalf("after %d distinct wrong codes: %+v, want locked", 3, sh)
	}

	expect(t, s.auth(pap("alice", a.password+a.code(t, 0))...), reject, msgLocked)
	s.mustCLI("user unlock", "alice")
	if sh := s.show("alice"); sh.LockedUntil != nil || sh.Failures != 0 {
		t.Errorf("after unlock: %+v, want no lock and 0 failures", sh)
	}
	expect(t, s.auth(pap("alice", a.password+a.code(t, 1))...), accept, "")
}

// TestNameForms: Alice, ALICE, EXAMPLE\alice and alice@example.org are one
// user with one replay record and one failure counter.
func TestNameForms(t *testing.T) {
	t.Parallel()
	alice, bob := newUser("alice"), newUser("bob")
	s := startServer(t, options{users: []user{alice, bob}, maxFailures: 4})
	forms := func(n string) []string {
		return []string{upper(n[:1]) + n[1:], upper(n), `EXAMPLE\` + n, n + "@example.org"}
	}

	t.Run("one replay record", func(t *testing.T) {
		s := s.with(t)
		a := s.enroll(alice)
		code := a.code(t, 0)
		names := forms("alice")
		expect(t, s.auth(pap(names[0], a.password+code)...), accept, "")
		for _, n := range names[1:] {
			expect(t, s.auth(pap(n, a.password+code)...), reject, msgFailed)
		}
		expect(t, s.auth(pap(names[3], a.password+a.code(t, 1))...), accept, "")
	})
	t.Run("one lockout", func(t *testing.T) {
		s := s.with(t)
		b := s.enroll(bob)
		wrong := b.key.wrongCodes(t, b.base, 4)
		for i, n := range forms("bob") {
			expect(t, s.auth(pap(n, b.password+wrong[i])...), reject, "")
			if got := s.show("bob").Failures; i < 3 && got != i+1 {
				t.Errorf("after %d wrong codes as %q: failures = %d, want %d", i+1, n, got, i+1)
			}
		}
		if sh := s.show("bob"); sh.LockedUntil == nil {
			t.Fatalf("after 4 wrong codes, one per name form: %+v, want locked", sh)
		}
		expect(t, s.auth(pap("bob", b.password+b.code(t, 0))...), reject, msgLocked)
	})
}
