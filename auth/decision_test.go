package auth

import (
	"strings"
	"testing"
	"time"

	"radiusd/store"
)

// TestDecisionTable covers mode × enrolment state × policy × input. binds
// counts password checks: never more than one, and none when the second
// factor is wrong (PRODUCT.md §7).
func TestDecisionTable(t *testing.T) {
	const (
		none = iota
		pending
		active
	)
	type input func(e *env, t *testing.T) string
	lit := func(s string) input { return func(*env, *testing.T) string { return s } }
	pwCode := func(e *env, t *testing.T) string { return pw + e.code(t, 0) }
	code := func(e *env, t *testing.T) string { return e.code(t, 0) }
	wrongCode := func(e *env, t *testing.T) string { return pw + e.code(t, 5) }
	tests := []struct {
		name   string
		mode   Mode
		user   string
		state  int
		policy store.Policy
		opts   func(*Options)
		sep    string
		in     input
		want   Result
		reason string
		binds  int
		msgHas string
	}{
		{name: "append accept", mode: ModePasswordOTP, user: "alice", state: active, in: pwCode, want: Accept, reason: "password_and_code", binds: 1},
		{name: "append wrong code: no bind", mode: ModePasswordOTP, user: "alice", state: active, in: wrongCode, reason: "bad_code", msgHas: "Authentication failed"},
		{name: "append wrong password", mode: ModePasswordOTP, user: "alice", state: active, in: func(e *env, t *testing.T) string { return "nope" + e.code(t, 0) }, reason: "bad_password", binds: 1, msgHas: "Authentication failed"},
		{name: "append code missing", mode: ModePasswordOTP, user: "alice", state: active, in: lit(pw), reason: "missing_code"},
		{name: "append recovery code", mode: ModePasswordOTP, user: "alice", state: active, in: func(e *env, t *testing.T) string { return pw + e.recovery(t, "alice") }, want: Accept, reason: "password_and_code", binds: 1},
		{name: "append separator", mode: ModePasswordOTP, user: "alice", state: active, sep: ",", in: func(e *env, t *testing.T) string { return pw + "," + e.code(t, 0) }, want: Accept, reason: "password_and_code", binds: 1},
		{name: "append previous step", mode: ModePasswordOTP, user: "alice", state: active, in: func(e *env, t *testing.T) string { return pw + e.code(t, -1) }, want: Accept, reason: "password_and_code", binds: 1},
		{name: "append two steps off", mode: ModePasswordOTP, user: "alice", state: active, in: func(e *env, t *testing.T) string { return pw + e.code(t, -2) }, reason: "bad_code"},
		{name: "not enrolled, enforce all: no bind", mode: ModePasswordOTP, user: "alice", in: lit(pw), reason: "not_enrolled", msgHas: enrollURL},
		{name: "not enrolled, wrong password: same answer, no bind", mode: ModePasswordOTP, user: "alice", in: lit("wrong"), reason: "not_enrolled", msgHas: enrollURL},
		{name: "pending counts as not enrolled", mode: ModePasswordOTP, user: "alice", state: pending, in: lit(pw), reason: "not_enrolled", msgHas: enrollURL},
		{name: "grace period, wrong password", mode: ModePasswordOTP, user: "alice", opts: grace, in: lit("wrong"), reason: "bad_password", binds: 1, msgHas: "Authentication failed"},
		{name: "opt-in, not enrolled: password only", mode: ModePasswordOTP, user: "alice", opts: optIn, in: lit(pw), want: Accept, reason: "password_only", binds: 1},
		{name: "opt-in, enrolled: code needed", mode: ModePasswordOTP, user: "alice", state: active, opts: optIn, in: lit(pw), reason: "missing_code"},
		{name: "groups, member", mode: ModePasswordOTP, user: "alice", opts: groups, in: lit(pw), reason: "not_enrolled"},
		{name: "groups, not member", mode: ModePasswordOTP, user: "bob", opts: groups, in: lit(pw), want: Accept, reason: "password_only", binds: 1},
		{name: "override exempt wins over all", mode: ModePasswordOTP, user: "alice", policy: store.PolicyExempt, in: lit(pw), want: Accept, reason: "password_only", binds: 1},
		{name: "override exempt, enrolled", mode: ModePasswordOTP, user: "alice", state: active, policy: store.PolicyExempt, in: lit(pw), want: Accept, reason: "password_only", binds: 1},
		{name: "override required wins over opt-in", mode: ModePasswordOTP, user: "alice", policy: store.PolicyRequired, opts: optIn, in: lit(pw), reason: "not_enrolled"},
		{name: "grace period", mode: ModePasswordOTP, user: "alice", opts: grace, in: lit(pw), want: Accept, reason: "grace_period", binds: 1, msgHas: enrollURL},
		{name: "disabled user", mode: ModePasswordOTP, user: "carol", opts: optIn, in: lit(pw), reason: "disabled", binds: 1},
		{name: "unknown user: answered like a not enrolled one", mode: ModePasswordOTP, user: "mallory", in: lit(pw), reason: "not_enrolled", msgHas: enrollURL},
		{name: "unknown user, opt-in", mode: ModePasswordOTP, user: "mallory", opts: optIn, in: lit(pw), reason: "bad_password", binds: 1},

		{name: "otp-only accept", mode: ModeOTPOnly, user: "alice", state: active, in: code, want: Accept, reason: "code"},
		{name: "otp-only wrong", mode: ModeOTPOnly, user: "alice", state: active, in: lit("000000"), reason: "bad_code"},
		{name: "otp-only recovery code", mode: ModeOTPOnly, user: "alice", state: active, in: func(e *env, t *testing.T) string { return strings.ReplaceAll(e.recovery(t, "alice"), "-", "") }, want: Accept, reason: "code"},
		{name: "otp-only not enrolled", mode: ModeOTPOnly, user: "alice", in: lit("123456"), reason: "not_enrolled"},
		{name: "otp-only unknown user", mode: ModeOTPOnly, user: "mallory", in: lit("123456"), reason: "unknown_user"},
		{name: "otp-only disabled user", mode: ModeOTPOnly, user: "carol", state: active, in: code, reason: "unknown_user"},

		{name: "password-only, not required", mode: ModePasswordOnly, user: "alice", opts: optIn, in: lit(pw), want: Accept, reason: "password_only", binds: 1},
		{name: "password-only, enrolled: rejected before bind", mode: ModePasswordOnly, user: "alice", state: active, in: lit(pw), reason: "second_factor_required"},
		{name: "password-only, required: rejected before bind", mode: ModePasswordOnly, user: "alice", in: lit(pw), reason: "second_factor_required"},
		{name: "password-only, required in grace", mode: ModePasswordOnly, user: "alice", opts: grace, in: lit(pw), want: Accept, reason: "grace_period", binds: 1},

		{name: "challenge: password gets challenge", mode: ModeChallenge, user: "alice", state: active, in: lit(pw), want: Challenge, reason: "password_ok_challenge", binds: 1, msgHas: "authenticator app"},
		{name: "challenge: wrong password", mode: ModeChallenge, user: "alice", state: active, in: lit("wrong"), reason: "bad_password", binds: 1},
		{name: "challenge: not required", mode: ModeChallenge, user: "alice", opts: optIn, in: lit(pw), want: Accept, reason: "password_only", binds: 1},
		{name: "challenge: not enrolled", mode: ModeChallenge, user: "alice", in: lit(pw), reason: "not_enrolled", msgHas: enrollURL},

		{name: "auto: password+code", mode: ModeAuto, user: "alice", state: active, in: pwCode, want: Accept, reason: "password_and_code", binds: 1},
		{name: "auto: bare password gets challenge", mode: ModeAuto, user: "alice", state: active, in: lit(pw), want: Challenge, reason: "password_ok_challenge", binds: 1},
		{name: "auto: wrong code and password", mode: ModeAuto, user: "alice", state: active, in: wrongCode, reason: "bad_password_or_code", binds: 1},

		{name: "bad user name", mode: ModePasswordOTP, user: "al\x00ice", in: lit(pw), reason: "bad_user_name"},
		{name: "domain form", mode: ModePasswordOTP, user: `EXAMPLE\Alice`, state: active, in: pwCode, want: Accept, reason: "password_and_code", binds: 1},
		{name: "realm form", mode: ModeOTPOnly, user: "ALICE@example.org", state: active, in: code, want: Accept, reason: "code"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, tt.opts)
			setState(e, "alice", tt.state, tt.policy)
			setState(e, "carol", tt.state, "")
			d, err := e.a.Authenticate(t.Context(), Request{Client: "vpn", Mode: tt.mode, Separator: tt.sep, Username: tt.user, Password: tt.in(e, t)})
			if err != nil {
				t.Fatalf("err = %v", err)
			}
			if d.Result != tt.want || d.Reason != tt.reason {
				t.Errorf("got %v/%s, want %v/%s", d.Result, d.Reason, tt.want, tt.reason)
			}
			if e.dir.AuthenticateCalls() != tt.binds {
				t.Errorf("password checks = %d, want %d", e.dir.AuthenticateCalls(), tt.binds)
			}
			if !strings.Contains(d.ReplyMessage, tt.msgHas) {
				t.Errorf("Reply-Message %q does not contain %q", d.ReplyMessage, tt.msgHas)
			}
			if d.Result == Challenge && len(d.State) != stateLen {
				t.Errorf("challenge State has %d bytes", len(d.State))
			}
		})
	}
}

func setState(e *env, name string, state int, policy store.Policy) {
	switch state {
	case 1:
		u := e.enroll(name)
		u.State = store.StatePending
	case 2:
		e.enroll(name)
	}
	if policy != "" {
		e.st.user(name).Policy = policy
	}
}

func optIn(o *Options)  { o.Enforce = EnforceOptIn }
func groups(o *Options) { o.Enforce, o.Groups = EnforceGroups, []string{"VPN-Users"} }
func grace(o *Options)  { o.GracePeriod = 24 * time.Hour }
