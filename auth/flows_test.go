package auth

import (
	"errors"
	"radiusd/directory/directorytest"
	"strings"
	"testing"
	"time"
)

func TestReplayRejected(t *testing.T) {
	e := newEnv(t, nil)
	e.enroll("alice")
	c := e.code(t, 0)
	if d := e.do(t, ModeOTPOnly, "alice", c); d.Result != Accept {
		t.Fatalf("first use: %v/%s", d.Result, d.Reason)
	}
	// The same code through another name form: one replay record.
	if d := e.do(t, ModeOTPOnly, `EXAMPLE\ALICE`, c); d.Result != Reject || d.Reason != "replayed_code" {
		t.Fatalf("replay: %v/%s", d.Result, d.Reason)
	}
	// An earlier step inside the window is refused once a later one is used.
	if d := e.do(t, ModeOTPOnly, "alice", e.code(t, -1)); d.Reason != "replayed_code" {
		t.Fatalf("earlier step: %v/%s", d.Result, d.Reason)
	}
	e.now = e.now.Add(30 * time.Second)
	if d := e.do(t, ModeOTPOnly, "alice", e.code(t, 0)); d.Result != Accept {
		t.Fatalf("next step: %v/%s", d.Result, d.Reason)
	}
}

func TestRecoveryCodeOnce(t *testing.T) {
	e := newEnv(t, nil)
	e.enroll("alice")
	rc := e.recovery(t, "alice")
	if d := e.do(t, ModeOTPOnly, "alice", strings.ToUpper(rc)); d.Result != Accept {
		t.Fatalf("first use: %v/%s", d.Result, d.Reason)
	}
	if d := e.do(t, ModeOTPOnly, "alice", rc); d.Reason != "bad_recovery_code" {
		t.Fatalf("second use: %v/%s", d.Result, d.Reason)
	}
}

func TestLockout(t *testing.T) {
	e := newEnv(t, nil) // MaxFailures 3
	e.enroll("alice")
	// The same wrong code three times counts once.
	for range 3 {
		e.do(t, ModeOTPOnly, "alice", "111111")
	}
	if got := e.st.users["alice"].Failures; got != 1 {
		t.Fatalf("failures after one repeated wrong code = %d, want 1", got)
	}
	e.do(t, ModeOTPOnly, "Alice", "222222")
	e.do(t, ModeOTPOnly, "alice@example.org", "333333")
	d := e.do(t, ModeOTPOnly, "alice", e.code(t, 0))
	if d.Result != Reject || d.Reason != "locked" || d.ReplyMessage != msgLocked {
		t.Fatalf("locked user with right code: %v/%s %q", d.Result, d.Reason, d.ReplyMessage)
	}
	if e.dir.AuthenticateCalls() != 0 {
		t.Fatalf("binds = %d while locked", e.dir.AuthenticateCalls())
	}
	if !strings.Contains(e.logs.String(), "user locked out") {
		t.Fatalf("no lockout log line: %s", e.logs)
	}
	e.now = e.now.Add(16 * time.Minute)
	if d := e.do(t, ModeOTPOnly, "alice", e.code(t, 0)); d.Result != Accept {
		t.Fatalf("after lockout: %v/%s", d.Result, d.Reason)
	}
}

func TestChallengeFollowUp(t *testing.T) {
	e := newEnv(t, nil)
	e.enroll("alice")
	first := e.do(t, ModeChallenge, "alice", pw)
	if first.Result != Challenge {
		t.Fatalf("first: %v/%s", first.Result, first.Reason)
	}
	answer := func(client, user, code string, state []byte) Decision {
		d, err := e.a.Authenticate(t.Context(), Request{Client: client, Mode: ModeChallenge, Username: user, Password: code, State: state})
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	if d := answer("other", "alice", e.code(t, 0), first.State); d.Reason != "state_mismatch" {
		t.Fatalf("other client: %v/%s", d.Result, d.Reason)
	}
	// The State died with the mismatched attempt: single use.
	if d := answer("vpn", "alice", e.code(t, 0), first.State); d.Reason != "unknown_state" {
		t.Fatalf("reused state: %v/%s", d.Result, d.Reason)
	}
	second := e.do(t, ModeChallenge, "alice", pw)
	if d := answer("vpn", "Alice", " "+e.code(t, 0)+" ", second.State); d.Result != Accept || d.Reason != "challenge_code" {
		t.Fatalf("answer: %v/%s", d.Result, d.Reason)
	}
	if e.dir.AuthenticateCalls() != 2 {
		t.Fatalf("binds = %d, want 2 (one per first request)", e.dir.AuthenticateCalls())
	}
	third := e.do(t, ModeChallenge, "alice", pw)
	e.now = e.now.Add(3 * time.Minute)
	if d := answer("vpn", "alice", e.code(t, 0), third.State); d.Reason != "unknown_state" {
		t.Fatalf("expired state: %v/%s", d.Result, d.Reason)
	}
}

func TestDriftLearned(t *testing.T) {
	e := newEnv(t, nil)
	e.enroll("alice")
	e.st.users["alice"].Drift = 2 // learned earlier: the phone runs a minute fast
	if d := e.do(t, ModeOTPOnly, "alice", e.code(t, 3)); d.Result != Accept {
		t.Fatalf("drifted code: %v/%s", d.Result, d.Reason)
	}
	if got := e.st.users["alice"].Drift; got != 3 {
		t.Fatalf("drift = %d, want 3", got)
	}
}

func TestClockWarning(t *testing.T) {
	e := newEnv(t, nil)
	for i := range 25 {
		name := "user" + string(rune('a'+i))
		e.dir.Users[name] = directorytest.FakeUser{}
		e.enroll(name)
		if d := e.do(t, ModeOTPOnly, name, e.code(t, 1)); d.Result != Accept {
			t.Fatalf("%s: %v/%s", name, d.Result, d.Reason)
		}
	}
	if !strings.Contains(e.logs.String(), "server clock looks off") {
		t.Fatalf("no clock warning in logs: %s", e.logs)
	}
}

func TestBackendErrorsFailClosed(t *testing.T) {
	for _, tt := range []struct {
		name string
		mode Mode
		set  func(e *env)
	}{
		{"store down", ModePasswordOTP, func(e *env) { e.st.err = errBackend }},
		{"directory down, append", ModePasswordOTP, func(e *env) { e.dir.Err = errBackend }},
		{"directory down, otp-only", ModeOTPOnly, func(e *env) { e.dir.Err = errBackend }},
		{"directory down, challenge", ModeChallenge, func(e *env) { e.dir.Err = errBackend }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, nil)
			e.enroll("alice")
			in := pw + e.code(t, 0)
			if tt.mode == ModeOTPOnly {
				in = e.code(t, 0)
			}
			if tt.mode == ModeChallenge {
				in = pw
			}
			tt.set(e)
			d, err := e.a.Authenticate(t.Context(), Request{Mode: tt.mode, Username: "alice", Password: in})
			if !errors.Is(err, errBackend) {
				t.Fatalf("err = %v, want backend error", err)
			}
			if d.Result != Reject || d.Reason != "backend_error" {
				t.Fatalf("decision = %v/%s", d.Result, d.Reason)
			}
			if strings.Contains(err.Error(), in) {
				t.Fatalf("error %q carries the password field", err)
			}
		})
	}
}

func TestNoSecretsLogged(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.MaxFailures = 1 })
	e.enroll("alice")
	e.do(t, ModePasswordOTP, "alice", pw+"999999")
	e.now = e.now.Add(20 * time.Minute)
	c := e.code(t, 0)
	e.do(t, ModePasswordOTP, "alice", pw+c)
	for _, s := range []string{pw, c, "999999", "12345678901234567890"} {
		if strings.Contains(e.logs.String(), s) {
			t.Fatalf("log contains %q: %s", s, e.logs)
		}
	}
}
