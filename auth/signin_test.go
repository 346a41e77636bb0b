package auth

import (
	"crypto/rand"
	"slices"
	"testing"
)

func TestSignIn(t *testing.T) {
	tests := []struct {
		name     string
		user     string
		enrolled bool
		password string
		code     func(e *env, t *testing.T) string
		ok       bool
		second   bool
		reason   string
		binds    int
	}{
		{name: "not enrolled: password alone", user: "alice", password: pw, ok: true, reason: "signed_in", binds: 1},
		{name: "not enrolled: a code is ignored", user: "Alice", password: pw, code: func(*env, *testing.T) string { return "123456" }, ok: true, reason: "signed_in", binds: 1},
		{name: "not enrolled: wrong password", user: "alice", password: "nope", reason: "bad_password", binds: 1},
		{name: "unknown user", user: "mallory", password: pw, reason: "bad_password", binds: 1},
		{name: "disabled user", user: "carol", password: pw, reason: "disabled", binds: 1},
		{name: "bad name", user: "a\x00b", password: pw, reason: "bad_user_name"},
		{name: "enrolled: password and code", user: "alice", enrolled: true, password: pw, code: func(e *env, t *testing.T) string { return e.code(t, 0) }, ok: true, second: true, reason: "signed_in", binds: 1},
		{name: "enrolled: recovery code", user: "alice", enrolled: true, password: pw, code: func(e *env, t *testing.T) string { return e.recovery(t, "alice") }, ok: true, second: true, reason: "signed_in", binds: 1},
		{name: "enrolled: code missing, no bind", user: "alice", enrolled: true, password: pw, reason: "missing_code"},
		{name: "enrolled: wrong code, no bind", user: "alice", enrolled: true, password: pw, code: func(e *env, t *testing.T) string { return e.code(t, 5) }, reason: "bad_code"},
		{name: "enrolled: wrong password after a right code", user: "alice", enrolled: true, password: "nope", code: func(e *env, t *testing.T) string { return e.code(t, 0) }, reason: "bad_password", binds: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, nil)
			if tt.enrolled {
				e.enroll("alice")
			}
			code := ""
			if tt.code != nil {
				code = tt.code(e, t)
			}
			res, err := e.a.SignIn(t.Context(), tt.user, tt.password, code)
			if err != nil {
				t.Fatal(err)
			}
			if res.OK != tt.ok || res.SecondFactor != tt.second || res.Reason != tt.reason {
				t.Fatalf("SignIn = %+v, want ok=%v second=%v reason=%s", res, tt.ok, tt.second, tt.reason)
			}
			if got := e.dir.AuthenticateCalls(); got != tt.binds {
				t.Fatalf("binds = %d, want %d", got, tt.binds)
			}
			if tt.ok && !slices.Contains(res.Groups, "vpn-users") {
				t.Fatalf("groups = %v", res.Groups)
			}
		})
	}
}

// TestSignInLockout: wrong passwords on the portal count toward the
// lockout RADIUS uses, and a locked user cannot sign in or use RADIUS.
func TestSignInLockout(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.Rand = rand.Reader }) // MaxFailures 3
	for range 3 {
		if res, err := e.a.SignIn(t.Context(), "alice", "wrong", ""); err != nil || res.OK {
			t.Fatalf("wrong password: %+v %v", res, err)
		}
	}
	res, err := e.a.SignIn(t.Context(), "alice", pw, "")
	if err != nil || res.OK || !res.Locked {
		t.Fatalf("locked user signed in: %+v %v", res, err)
	}
	e.enroll("alice")
	if d := e.do(t, ModePasswordOTP, "alice", pw+e.code(t, 0)); d.Reason != "locked" {
		t.Fatalf("RADIUS after portal lockout: %s", d.Reason)
	}
}

func TestVerifyCode(t *testing.T) {
	e := newEnv(t, nil)
	if ok, reason, _ := e.a.VerifyCode(t.Context(), "alice", "123456"); ok || reason != "not_enrolled" {
		t.Fatalf("not enrolled: %v %s", ok, reason)
	}
	e.enroll("alice")
	code := e.code(t, 0)
	if ok, _, err := e.a.VerifyCode(t.Context(), "alice", code); !ok || err != nil {
		t.Fatalf("right code refused: %v", err)
	}
	if ok, reason, _ := e.a.VerifyCode(t.Context(), "alice", code); ok || reason != "replayed_code" {
		t.Fatalf("same code twice: %v %s", ok, reason)
	}
	if e.st.users["alice"].Failures != 1 {
		t.Fatalf("failures = %d, want 1", e.st.users["alice"].Failures)
	}
}
