//go:build integration

package integration

import (
	"slices"
	"testing"
)

// TestReplayAndRecoveryCodes: a TOTP code works once, a recovery code
// works once, and a new set of recovery codes invalidates the old one.
func TestReplayAndRecoveryCodes(t *testing.T) {
	t.Parallel()
	alice := newUser("alice")
	s := startServer(t, options{users: []user{alice}, maxFailures: 20})
	a := s.enroll(alice)
	code, shouted := a.code(t, 0), upper(a.recovery[1])
	sensitive.remember("recovery code", shouted)
	s.run([]step{
		{"code", pap("alice", a.password+code), accept, ""},
		{"same code again", pap("alice", a.password+code), reject, msgFailed},
		{"recovery code", pap("alice", a.password+a.recovery[0]), accept, ""},
		{"same recovery code again", pap("alice", a.password+a.recovery[0]), reject, msgFailed},
		{"recovery code in upper case", pap("alice", a.password+shouted), accept, ""},
	})
	if got := s.show("alice").RecoveryCodesLeft; got != 6 {
		t.Errorf("recovery_codes_left = %d, want 6", got)
	}

	fresh := s.newCodes(a)
	checkRecoveryCodes(t, fresh)
	if slices.ContainsFunc(fresh, func(c string) bool { return slices.Contains(a.recovery, c) }) {
		t.Fatalf("user codes gave %q, want no old code among them", fresh)
	}
	s.run([]step{
		{"old unused recovery code", pap("alice", a.password+a.recovery[2]), reject, msgFailed},
		{"new recovery code", pap("alice", a.password+fresh[0]), accept, ""},
		{"new recovery code again", pap("alice", a.password+fresh[0]), reject, msgFailed},
	})
	if got := s.show("alice").RecoveryCodesLeft; got != 7 {
		t.Errorf("recovery_codes_left = %d, want 7", got)
	}
}

// TestReplayAcrossRestart: a code accepted before a restart is refused
// after it (the last accepted step is stored).
func TestReplayAcrossRestart(t *testing.T) {
	t.Parallel()
	alice := newUser("alice")
	s := startServer(t, options{users: []user{alice}})
	a := s.enroll(alice)
	code := a.code(t, 0)
	expect(t, s.auth(pap("alice", a.password+code)...), accept, "")
	s.restart()
	expect(t, s.auth(pap("alice", a.password+code)...), reject, msgFailed)
	expect(t, s.auth(pap("alice", a.password+a.code(t, 1))...), accept, "")
}

// upper returns s with ASCII letters in upper case.
func upper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'a' && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}
