//go:build integration

package integration

import (
	"strings"
	"testing"
)

// Response names as radclient prints them.
const (
	accept    = "Access-Accept"
	reject    = "Access-Reject"
	challenge = "Access-Challenge"
	noAnswer  = ""
)

// expect checks the response code and, unless msg is "", that the
// Reply-Message contains msg.
func expect(t *testing.T, r reply, want, msg string) {
	t.Helper()
	if r.code != want {
		t.Fatalf("got %q, want %q; %v", r.code, want, r)
	}
	if msg != "" && !strings.Contains(r.get("Reply-Message"), msg) {
		t.Fatalf("Reply-Message %q, want it to contain %q; %v", r.get("Reply-Message"), msg, r)
	}
}

// step is one request of a scripted exchange and its expected response.
type step struct {
	name  string
	lines []string
	want  string
	msg   string
}

// run sends each step in order, each as a subtest.
func (s *server) run(steps []step) {
	s.t.Helper()
	for _, st := range steps {
		s.t.Run(st.name, func(t *testing.T) {
			expect(t, s.with(t).auth(st.lines...), st.want, st.msg)
		})
	}
}

// TestModePasswordOTP: password with the code (or a recovery code)
// appended in one request.
func TestModePasswordOTP(t *testing.T) {
	t.Parallel()
	alice := newUser("alice")
	s := startServer(t, options{mode: "password+otp", users: []user{alice}})
	a := s.enroll(alice)
	wrong := a.key.wrongCodes(t, a.base, 1)[0]
	s.run([]step{
		{"password and code", pap("alice", a.password+a.code(t, 0)), accept, ""},
		{"wrong code", pap("alice", a.password+wrong), reject, msgFailed},
		{"wrong password", pap("alice", "x"+a.password+a.code(t, 1)), reject, msgFailed},
		{"bare password", pap("alice", a.password), reject, msgFailed},
		{"password and recovery code", pap("alice", a.password+a.recovery[0]), accept, ""},
	})
}

// TestModeChallenge: the password, then an Access-Challenge whose State
// comes back with the code; a State works once.
func TestModeChallenge(t *testing.T) {
	t.Parallel()
	alice := newUser("alice")
	s := startServer(t, options{mode: "challenge", users: []user{alice}})
	a := s.enroll(alice)

	r := s.auth(pap("alice", a.password)...)
	expect(t, r, challenge, msgPrompt)
	state := r.get("State")
	if !strings.HasPrefix(state, "0x") || len(state) < 10 {
		t.Fatalf("Access-Challenge State = %q, want a non-trivial value; %v", state, r)
	}
	answer := append(pap("alice", a.code(t, 0)), "State = "+state)
	expect(t, s.auth(answer...), accept, "")

	t.Run("state used twice", func(t *testing.T) {
		s := s.with(t)
		reused := append(pap("alice", a.code(t, 1)), "State = "+state)
		expect(t, s.auth(reused...), reject, "")
	})
	t.Run("wrong code", func(t *testing.T) {
		s := s.with(t)
		r := s.auth(pap("alice", a.password)...)
		expect(t, r, challenge, msgPrompt)
		wrong := a.key.wrongCodes(t, a.base, 1)[0]
		expect(t, s.auth(append(pap("alice", wrong), "State = "+r.get("State"))...), reject, msgFailed)
	})
	t.Run("wrong password", func(t *testing.T) {
		s := s.with(t)
		expect(t, s.auth(pap("alice", "x"+a.password)...), reject, msgFailed)
	})
}

// TestModeAuto: password and code at once, or the password then a
// challenge.
func TestModeAuto(t *testing.T) {
	t.Parallel()
	alice := newUser("alice")
	s := startServer(t, options{mode: "auto", users: []user{alice}})
	a := s.enroll(alice)

	t.Run("password and code at once", func(t *testing.T) {
		s := s.with(t)
		expect(t, s.auth(pap("alice", a.password+a.code(t, 0))...), accept, "")
	})
	t.Run("password then challenge", func(t *testing.T) {
		s := s.with(t)
		r := s.auth(pap("alice", a.password)...)
		expect(t, r, challenge, msgPrompt)
		expect(t, s.auth(append(pap("alice", a.code(t, 1)), "State = "+r.get("State"))...), accept, "")
	})
	t.Run("wrong code", func(t *testing.T) {
		s := s.with(t)
		wrong := a.key.wrongCodes(t, a.base, 1)[0]
		expect(t, s.auth(pap("alice", a.password+wrong)...), reject, msgFailed)
	})
	t.Run("wrong password", func(t *testing.T) {
		s := s.with(t)
		expect(t, s.auth(pap("alice", "x"+a.password)...), reject, msgFailed)
	})
}

// TestModeOTPOnly: the code or a recovery code alone, for enrolled users
// of the directory only.
func TestModeOTPOnly(t *testing.T) {
	t.Parallel()
	alice, bob := newUser("alice"), newUser("bob")
	s := startServer(t, options{mode: "otp-only", users: []user{alice, bob}})
	a := s.enroll(alice)
	wrong := a.key.wrongCodes(t, a.base, 1)[0]
	s.run([]step{
		{"code", pap("alice", a.code(t, 0)), accept, ""},
		{"wrong code", pap("alice", wrong), reject, msgFailed},
		{"password and code", pap("alice", a.password+a.code(t, 1)), reject, msgFailed},
		{"recovery code", pap("alice", a.recovery[0]), accept, ""},
		{"unknown user", pap("mallory", a.code(t, 1)), reject, ""},
		{"known user not enrolled", pap("bob", a.code(t, 1)), reject, ""},
	})
}

// TestModePasswordOnly: users who need 2FA are rejected; with enforce:
// opt-in, a user who has not enrolled logs in with the password.
func TestModePasswordOnly(t *testing.T) {
	t.Parallel()
	alice, bob := newUser("alice"), newUser("bob")
	t.Run("opt-in", func(t *testing.T) {
		s := startServer(t, options{mode: "password-only", enforce: "opt-in", users: []user{alice, bob}})
		a := s.enroll(alice)
		s.run([]step{
			{"enrolled user with password", pap("alice", a.password), reject, ""},
			{"enrolled user with password and code", pap("alice", a.password+a.code(t, 0)), reject, ""},
			{"not enrolled user", pap("bob", bob.password), accept, ""},
			{"not enrolled user, wrong password", pap("bob", "x"+bob.password), reject, msgFailed},
		})
	})
	t.Run("enforce all", func(t *testing.T) {
		s := startServer(t, options{mode: "password-only", enforce: "all", users: []user{bob}})
		expect(t, s.auth(pap("bob", bob.password)...), reject, "")
	})
}

// TestRequiredNotEnrolled: a user who must use 2FA but has not enrolled
// is rejected with the enrollment URL whatever the password (no password
// is checked, so no directory bind happens and a password spray learns
// nothing), and so is an unknown user.
func TestRequiredNotEnrolled(t *testing.T) {
	t.Parallel()
	bob := newUser("bob")
	s := startServer(t, options{mode: "password+otp", users: []user{bob}})
	s.run([]step{
		{"right password", pap("bob", bob.password), reject, msgEnroll},
		{"wrong password: the same answer (no password oracle, no bind)", pap("bob", "x"+bob.password), reject, msgEnroll},
		{"unknown user: the same answer", pap("nobody", bob.password), reject, msgEnroll},
	})
	if got := s.show("bob").State; got != "none" {
		t.Errorf("state = %q, want none", got)
	}
}

// TestGroupReplies: an Access-Accept carries the attributes configured
// for the user's groups, standard and vendor-specific, as radclient
// decodes them with its dictionary; a reject carries none.
func TestGroupReplies(t *testing.T) {
	t.Parallel()
	alice := newUser("alice")
	s := startServer(t, options{users: []user{alice}, extra: `replies:
  - group: vpn-users
    attributes:
      - { name: Class, value: "OU=vpn;" }
      - { name: Filter-Id, value: vpn-acl }
      - { name: Session-Timeout, value: "28800" }
      - { name: Cisco-AVPair, value: "ip:inacl#1=permit ip any any" }
      - { name: ASA-Group-Policy, value: VPNPolicy }
      - { name: Fortinet-Group-Name, value: fw-vpn }
      - { name: PaloAlto-User-Group, value: pa-vpn }
  - group: admins
    attributes:
      - { name: Class, value: admins-only }
`})
	a := s.enroll(alice)
	r := s.auth(pap("alice", a.password+a.code(t, 0))...)
	expect(t, r, accept, "")
	for name, want := range map[string]string{
		"Class":               "0x4f553d76706e3b", // "OU=vpn;"
		"Filter-Id":           "vpn-acl",
		"Session-Timeout":     "28800",
		"Cisco-AVPair":        "ip:inacl#1=permit ip any any",
		"ASA-Group-Policy":    "VPNPolicy",
		"Fortinet-Group-Name": "fw-vpn",
		"PaloAlto-User-Group": "pa-vpn",
	} {
		if got := r.values(name); len(got) != 1 || got[0] != want {
			t.Errorf("%s = %q, want [%q]; %v", name, got, want, r)
		}
	}
	if r := s.auth(pap("alice", "wrong"+a.code(t, 1))...); r.code != reject || len(r.values("Class")) != 0 {
		t.Errorf("a reject must carry no group attributes; %v", r)
	}
}
