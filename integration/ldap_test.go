//go:build integration

package integration

import (
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestLDAPModes: every client mode against slapd over LDAPS with the test
// CA, alice enrolled, bob (not enrolled) and mallory (unknown) as in
// TestMode*. Each mode has its own radiusd; they share one slapd.
func TestLDAPModes(t *testing.T) {
	t.Parallel()
	sl := startSlapd(t)
	for _, tt := range []struct {
		mode, enforce string
		run           func(t *testing.T, s *server, a *account)
	}{
		{"password+otp", "", ldapPasswordOTP},
		{"challenge", "", ldapChallenge},
		{"auto", "", ldapAuto},
		{"otp-only", "", ldapOTPOnly},
		{"password-only", "opt-in", ldapPasswordOnly},
	} {
		t.Run(tt.mode, func(t *testing.T) {
			t.Parallel()
			s := startLDAPServer(t, sl, ldapConf{}, options{mode: tt.mode, enforce: tt.enforce})
			tt.run(t, s, s.enroll(ldapAlice))
		})
	}
}

// ldapPasswordOTP: the password with the code or a recovery code appended.
func ldapPasswordOTP(t *testing.T, s *server, a *account) {
	wrong := a.key.wrongCodes(t, a.base, 1)[0]
	s.run([]step{
		{"password and code", pap("alice", a.password+a.code(t, 0)), accept, ""},
		{"wrong code", pap("alice", a.password+wrong), reject, msgFailed},
		{"wrong password", pap("alice", "x"+a.password+a.code(t, 1)), reject, msgFailed},
		{"bare password", pap("alice", a.password), reject, msgFailed},
		{"password and recovery code", pap("alice", a.password+a.recovery[0]), accept, ""},
		{"not enrolled user", pap("bob", ldapBob.password), reject, msgEnroll},
		{"not enrolled user, wrong password", pap("bob", "x"+ldapBob.password), reject, msgEnroll},
		{"unknown user", pap("mallory", a.password+a.code(t, 1)), reject, msgEnroll},
	})
}

// ldapChallenge: the password, then the code with the challenge's State.
func ldapChallenge(t *testing.T, s *server, a *account) {
	r := s.auth(pap("alice", a.password)...)
	expect(t, r, challenge, msgPrompt)
	expect(t, s.auth(append(pap("alice", a.code(t, 0)), "State = "+r.get("State"))...), accept, "")
	r = s.auth(pap("alice", a.password)...)
	expect(t, r, challenge, msgPrompt)
	wrong := a.key.wrongCodes(t, a.base, 1)[0]
	expect(t, s.auth(append(pap("alice", wrong), "State = "+r.get("State"))...), reject, msgFailed)
	expect(t, s.auth(pap("alice", "x"+a.password)...), reject, msgFailed)
}

// ldapAuto: password and code at once, or the password then a challenge.
func ldapAuto(t *testing.T, s *server, a *account) {
	expect(t, s.auth(pap("alice", a.password+a.code(t, 0))...), accept, "")
	r := s.auth(pap("alice", a.password)...)
	expect(t, r, challenge, msgPrompt)
	expect(t, s.auth(append(pap("alice", a.code(t, 1)), "State = "+r.get("State"))...), accept, "")
	wrong := a.key.wrongCodes(t, a.base, 1)[0]
	expect(t, s.auth(pap("alice", a.password+wrong)...), reject, msgFailed)
	expect(t, s.auth(pap("alice", "x"+a.password)...), reject, msgFailed)
}

// ldapOTPOnly: the code alone, for enrolled users of the directory only.
func ldapOTPOnly(t *testing.T, s *server, a *account) {
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

// ldapPasswordOnly (enforce opt-in): the enrolled alice is refused, the
// not enrolled bob logs in with his own password only.
func ldapPasswordOnly(t *testing.T, s *server, a *account) {
	s.run([]step{
		{"enrolled user with password", pap("alice", a.password), reject, ""},
		{"enrolled user with password and code", pap("alice", a.password+a.code(t, 0)), reject, ""},
		{"not enrolled user", pap("bob", ldapBob.password), accept, ""},
		{"not enrolled user, wrong password", pap("bob", "x"+ldapBob.password), reject, msgFailed},
		{"another user's password", pap("bob", ldapCarol.password), reject, msgFailed},
		{"unknown user", pap("mallory", ldapBob.password), reject, msgFailed},
	})
}

// TestLDAPStartTLS: password+otp over ldap:// upgraded with StartTLS; no
// clear-text warning.
func TestLDAPStartTLS(t *testing.T) {
	t.Parallel()
	sl := startSlapd(t)
	s := startLDAPServer(t, sl, ldapConf{transport: overStartTLS}, options{})
	a := s.enroll(ldapAlice)
	s.run([]step{
		{"password and code", pap("alice", a.password+a.code(t, 0)), accept, ""},
		{"wrong password", pap("alice", "x"+a.password+a.code(t, 1)), reject, msgFailed},
	})
	if strings.Contains(s.log(), "sends passwords in the clear") {
		t.Errorf("clear-text warning with start_tls; log:\n%s", s.log())
	}
}

// TestLDAPPlain: password+otp over plain ldap:// works, and radiusd warns
// at start that passwords cross the network in the clear.
func TestLDAPPlain(t *testing.T) {
	t.Parallel()
	sl := startSlapd(t)
	s := startLDAPServer(t, sl, ldapConf{transport: overPlain}, options{})
	a := s.enroll(ldapAlice)
	s.run([]step{
		{"password and code", pap("alice", a.password+a.code(t, 0)), accept, ""},
		{"wrong password", pap("alice", "x"+a.password+a.code(t, 1)), reject, msgFailed},
	})
	want := "directory.ldap.urls[0]: " + sl.URL + " sends passwords in the clear"
	if !logHas(s.log(), "WARN", want) {
		t.Errorf("no WARN line %q in the log:\n%s", want, s.log())
	}
}

// TestLDAPGroups: each group search finds its member, which
// policy.enforce: groups and replies then act on. A member who has not
// enrolled is told to enroll; carol, in no group, logs in with the
// password alone and gets none of the group's attributes; the enrolled
// member gets them.
func TestLDAPGroups(t *testing.T) {
	t.Parallel()
	sl := startSlapd(t)
	for _, tt := range []struct {
		search string
		member user
		group  string
	}{
		{"group_of_names", ldapAlice, "vpn-users"},
		{"group_of_unique_names", ldapBob, "vpn-admins"},
		{"posix", ldapDave, "unix-vpn"},
		{"member_of", ldapAlice, "vpn-users"},
	} {
		t.Run(tt.search, func(t *testing.T) {
			t.Parallel()
			s := startLDAPServer(t, sl, ldapConf{groups: tt.search}, options{
				enforce:      "groups",
				policyGroups: []string{tt.group},
				extra: "replies:\n" +
					"  - group: " + tt.group + "\n" +
					"    attributes:\n" +
					"      - { name: Class, value: \"grp=" + tt.group + "\" }\n" +
					"      - { name: Filter-Id, value: acl-" + tt.group + " }\n",
			})
			checkGroup(t, s, tt.member, tt.group)
		})
	}
}

// checkGroup checks the policy and the replies of group for its member
// and for carol, who is in no group.
func checkGroup(t *testing.T, s *server, member user, group string) {
	t.Helper()
	expect(t, s.auth(pap(member.name, member.password)...), reject, msgEnroll)
	r := s.auth(pap("carol", ldapCarol.password)...)
	expect(t, r, accept, "")
	if len(r.values("Class"))+len(r.values("Filter-Id")) != 0 {
		t.Errorf("carol (in no group) got group attributes; %v", r)
	}
	expect(t, s.auth(pap("carol", "x"+ldapCarol.password)...), reject, msgFailed)

	a := s.enroll(member)
	r = s.auth(pap(member.name, member.password+a.code(t, 0))...)
	expect(t, r, accept, "")
	wantClass := "0x" + hex.EncodeToString([]byte("grp="+group))
	if got := r.values("Class"); len(got) != 1 || got[0] != wantClass {
		t.Errorf("Class = %q, want [%q]; %v", got, wantClass, r)
	}
	if got := r.values("Filter-Id"); len(got) != 1 || got[0] != "acl-"+group {
		t.Errorf("Filter-Id = %q, want [%q]; %v", got, "acl-"+group, r)
	}
}

// TestLDAPHostileNames: names with filter metacharacters, a NUL byte,
// non-ASCII letters or 300 characters are escaped or refused: none logs in
// as another user, not even with that user's password, while the literal
// names "star*user" and "émile" work with their own passwords. The server
// answers Status-Server after each and does not crash. No user is
// enrolled and enforce is opt-in, so a right password alone is an Accept.
// radclient sends a NUL byte when written \000 (the request length proves
// it); it cuts a 300-character name to the 253 bytes a RADIUS attribute
// holds, so the server receives 253 bytes (invalid UTF-8 for the é's).
func TestLDAPHostileNames(t *testing.T) {
	t.Parallel()
	sl := startSlapd(t)
	s := startLDAPServer(t, sl, ldapConf{}, options{mode: "password-only", enforce: "opt-in"})
	for _, tt := range hostileNames() {
		t.Run(tt.name, func(t *testing.T) {
			s := s.with(t)
			r := s.auth(papRaw(tt.user, tt.password)...)
			expect(t, r, tt.want, "")
			if got, want := sentLength(t, r.out), papLength(tt.user, tt.password); got != want {
				t.Errorf("radclient sent %d bytes, want %d (User-Name of %d bytes, cut to 253)", got, want, len(tt.user))
			}
			if !s.statusOK() {
				t.Fatalf("no answer to Status-Server after %q; log:\n%s", tt.user, s.log())
			}
		})
	}
	select {
	case <-s.proc.exited:
		t.Fatalf("radiusd exited (%v); log:\n%s", s.proc.waitErr, s.log())
	default:
	}
	if strings.Contains(s.log(), "panic") {
		t.Errorf("radiusd log mentions a panic:\n%s", s.log())
	}
}

// hostileName is one login attempt of TestLDAPHostileNames.
type hostileName struct{ name, user, password, want string }

// hostileNames returns the attempts: alice's or star*user's password
// with a name that would select that user if it reached the filter
// unescaped or cut at a NUL, and the literal names with their passwords.
func hostileNames() []hostileName {
	long := strings.Repeat("a", 300)
	longUTF8 := strings.Repeat("é", 300)
	alicePW, starPW := ldapAlice.password, ldapStar.password
	return []hostileName{
		{"control: alice", "alice", alicePW, accept},
		{"star", "*", alicePW, reject},
		{"prefix wildcard", "ali*", alicePW, reject},
		{"wildcard matching star*user", "s*", starPW, reject},
		{"literal star*user", "star*user", starPW, accept},
		{"close and reopen", ")(uid=*", alicePW, reject},
		{"alice or anything", "alice)(uid=*", alicePW, reject},
		{"anything and alice", "*)(uid=alice", alicePW, reject},
		{"or injection", "x)(|(uid=alice)", alicePW, reject},
		{"backslash", `\`, alicePW, reject},
		{"escaped star", `\2a`, alicePW, reject},
		{"open parenthesis", "(", alicePW, reject},
		{"NUL after the name", "alice\x00", alicePW, reject},
		{"NUL inside the name", "al\x00ice", alicePW, reject},
		{"NUL then wildcard", "alice\x00*", alicePW, reject},
		{"non-ASCII", "émile", ldapEmile.password, accept},
		{"non-ASCII in upper case", "ÉMILE", ldapEmile.password, accept},
		{"non-ASCII, wrong password", "émile", alicePW, reject},
		{"non-ASCII folded to ASCII", "emile", ldapEmile.password, reject},
		{"300 characters", long, alicePW, reject},
		{"300 non-ASCII characters", longUTF8, alicePW, reject},
	}
}

// failureTimeout is radius.request_timeout in TestLDAPFailures.
const failureTimeout = 2 * time.Second

// TestLDAPFailures: with slapd stopped, hung or restarted, every request
// is answered within radius.request_timeout, and the first request after
// recovery is accepted. bob is not enrolled and enforce is opt-in, so
// each Accept is one search and one bind.
func TestLDAPFailures(t *testing.T) {
	t.Parallel()
	o := options{mode: "password-only", enforce: "opt-in", requestTimeout: failureTimeout.String()}
	bob := pap("bob", ldapBob.password)
	t.Run("stopped", func(t *testing.T) {
		t.Parallel()
		sl := startSlapd(t)
		s := startLDAPServer(t, sl, ldapConf{}, o)
		expect(t, s.auth(bob...), accept, "")
		sl.Stop(t)
		expectTimely(t, s, bob, reject)
		if len(s.logLines(1, "level=ERROR", sl.LDAPSURL)) == 0 {
			t.Errorf("no ERROR line naming %s in the log:\n%s", sl.LDAPSURL, s.log())
		}
		sl.Start(t)
		expect(t, s.auth(bob...), accept, "")
	})
	t.Run("paused", func(t *testing.T) {
		t.Parallel()
		sl := startSlapd(t)
		s := startLDAPServer(t, sl, ldapConf{}, o)
		expect(t, s.auth(bob...), accept, "")
		sl.Pause(t)
		if d := expectTimely(t, s, bob, reject); d < failureTimeout-100*time.Millisecond {
			t.Errorf("Reject after %v from a hung slapd, want it after the request timeout (%v)", d, failureTimeout)
		}
		sl.Resume(t)
		expect(t, s.auth(bob...), accept, "")
	})
	t.Run("restarted", func(t *testing.T) {
		t.Parallel()
		sl := startSlapd(t)
		s := startLDAPServer(t, sl, ldapConf{}, o)
		expect(t, s.auth(bob...), accept, "") // leaves a service and a bind connection in the pools
		sl.Stop(t)
		sl.Start(t)
		expect(t, s.auth(bob...), accept, "")
		expect(t, s.auth(pap("carol", ldapCarol.password)...), accept, "")
	})
}

// expectTimely sends lines and checks the answer is want and arrives
// within failureTimeout plus one second; it returns the time taken.
func expectTimely(t *testing.T, s *server, lines []string, want string) time.Duration {
	t.Helper()
	start := time.Now()
	r := radclient(t, s.addr, "auth", s.secret, withMA(lines), int((failureTimeout + 3*time.Second).Seconds()))
	d := time.Since(start)
	expect(t, r, want, "")
	if d >= failureTimeout+time.Second {
		t.Errorf("answer after %v, want it within request_timeout (%v) + 1s", d, failureTimeout)
	}
	return d
}

// TestLDAPBindCount: in password+otp mode an accepted request binds
// exactly once as the user, a refused password once, and a wrong code, a
// replayed code or a locked-out user not at all. slapd's log counts the
// binds: every bind with an anonymous service, every bind less the service
// account's with one.
func TestLDAPBindCount(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		conf ldapConf
	}{
		{"anonymous service", ldapConf{anonymous: true}},
		{"service account", ldapConf{}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sl := startSlapd(t)
			s := startLDAPServer(t, sl, tt.conf, options{maxFailures: 3})
			count := func() int { return sl.BindCount(t) }
			if !tt.conf.anonymous {
				count = func() int { return userBinds(t, sl) }
			}
			checkBindCounts(t, s, count)
		})
	}
}

// checkBindCounts sends the requests of TestLDAPBindCount; count returns
// the user binds slapd has seen so far.
func checkBindCounts(t *testing.T, s *server, count func() int) {
	binds := func(name string, lines []string, want, msg string, wantBinds int) {
		t.Helper()
		before := count()
		expect(t, s.auth(lines...), want, msg)
		if got := count() - before; got != wantBinds {
			t.Errorf("%s: %d user binds, want %d", name, got, wantBinds)
		}
	}
	a, b := s.enroll(ldapAlice), s.enroll(ldapBob)
	code0 := a.code(t, 0)
	wrong := a.key.wrongCodes(t, a.base, 1)[0]
	binds("password and code", pap("alice", a.password+code0), accept, "", 1)
	binds("wrong code", pap("alice", a.password+wrong), reject, msgFailed, 0)
	binds("replayed code", pap("alice", a.password+code0), reject, msgFailed, 0)
	binds("next code", pap("alice", a.password+a.code(t, 1)), accept, "", 1)
	binds("recovery code", pap("alice", a.password+a.recovery[0]), accept, "", 1)
	binds("wrong password", pap("alice", "x"+a.password+a.recovery[1]), reject, msgFailed, 1)
	for i, w := range b.key.wrongCodes(t, b.base, 3) {
		binds(fmt.Sprintf("bob's wrong code %d", i+1), pap("bob", b.password+w), reject, "", 0)
	}
	binds("locked out", pap("bob", b.password+b.code(t, 0)), reject, msgLocked, 0)
	binds("not enrolled", pap("carol", ldapCarol.password), reject, msgEnroll, 0)
}

// TestLDAPCheck: radiusd check binds as the service account: ok with the
// right password, a problem naming the URL with a wrong one or with slapd
// stopped; the output never shows the password.
func TestLDAPCheck(t *testing.T) {
	t.Parallel()
	sl := startSlapd(t)
	const wrongPW = "not-the-service-password"
	sensitive.remember("wrong LDAP service password", wrongPW)
	check := func(t *testing.T, c ldapConf) result {
		s := newServer(t, options{directory: ldapDirectory(t, sl, c)})
		res := s.cli("check")
		for _, pw := range []string{sl.BindPassword, wrongPW} {
			if strings.Contains(res.stdout+res.stderr, pw) {
				t.Errorf("check output shows a service password:\n%s%s", res.stdout, res.stderr)
			}
		}
		return res
	}
	t.Run("right password", func(t *testing.T) {
		res := check(t, ldapConf{})
		if res.code != 0 || !strings.Contains(res.stdout, "ok:      directory: openldap directory at ["+sl.LDAPSURL+"]") {
			t.Errorf("exit %d, want 0 and an ok line for the directory:\n%s%s", res.code, res.stdout, res.stderr)
		}
	})
	t.Run("wrong password", func(t *testing.T) {
		res := check(t, ldapConf{bindPassword: wrongPW})
		checkFailure(t, "check", res, "problem: directory:", sl.LDAPSURL, "service")
	})
	t.Run("slapd stopped", func(t *testing.T) {
		sl.Stop(t)
		defer sl.Start(t)
		res := check(t, ldapConf{})
		checkFailure(t, "check", res, "problem: directory:", sl.LDAPSURL)
	})
}

// logHas reports whether one line of log has the level and contains want.
func logHas(log, level, want string) bool {
	for _, line := range strings.Split(log, "\n") {
		if strings.Contains(line, "level="+level) && strings.Contains(line, want) {
			return true
		}
	}
	return false
}

// TestLDAPReloadNeedsGroups: radiusd started with nothing that uses groups
// makes no group searches, so a reload that turns on enforce: groups is
// refused (a restart is needed) instead of running with empty groups,
// which would exempt every group member from the second factor.
func TestLDAPReloadNeedsGroups(t *testing.T) {
	t.Parallel()
	sl := startSlapd(t)
	s := startLDAPServer(t, sl, ldapConf{}, options{})
	s.opts.enforce, s.opts.policyGroups = "groups", []string{"vpn-users"}
	s.writeConfig(s.port())
	s.hangup("reload configuration refused")
	if len(s.logLines(1, "restart radiusd")) == 0 {
		t.Errorf("the refusal does not say to restart:\n%s", s.log())
	}
	expect(t, s.auth(pap("alice", ldapAlice.password)...), reject, msgEnroll)
}
