//go:build integration

package integration

import (
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestReloadOnHangup: SIGHUP re-reads the users file; a broken file is
// refused and the running set kept; the server keeps answering throughout.
func TestReloadOnHangup(t *testing.T) {
	t.Parallel()
	alice, carol := newUser("alice"), newUser("carol")
	s := startServer(t, options{mode: "password-only", enforce: "opt-in", users: []user{alice}})
	expect(t, s.auth(pap("carol", carol.password)...), reject, "")

	s.opts.users = []user{alice, carol}
	s.writeUsers()
	s.hangup("users file loaded")
	expect(t, s.auth(pap("carol", carol.password)...), accept, "")

	s.writeFile("users.yaml", "users:\n  - name: alice\n    bogus_key: 1\n", 0o644)
	s.hangup("reload users file refused")
	expect(t, s.auth(pap("alice", alice.password)...), accept, "")
	expect(t, s.auth(pap("carol", carol.password)...), accept, "")
}

// hangup sends SIGHUP and waits until the log shows want.
func (s *server) hangup(want string) {
	s.t.Helper()
	before := strings.Count(s.log(), want)
	if err := s.proc.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		s.t.Fatal(err)
	}
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if strings.Count(s.log(), want) > before {
			return
		}
	}
	s.t.Fatalf("no %q in the log after SIGHUP:\n%s", want, s.log())
}

// TestReloadPolicyAndReplies: SIGHUP applies a new policy and new reply
// rules from the configuration file; a broken configuration is refused and
// the running ones kept.
func TestReloadPolicyAndReplies(t *testing.T) {
	t.Parallel()
	alice, bob := newUser("alice"), newUser("bob")
	s := startServer(t, options{mode: "password+otp", users: []user{alice, bob}})
	a := s.enroll(alice)
	expect(t, s.auth(pap("bob", bob.password)...), reject, msgEnroll)

	s.opts.enforce = "opt-in"
	s.opts.extra = "replies: [{ group: vpn-users, attributes: [{ name: Filter-Id, value: after-reload }] }]\n"
	s.writeConfig(s.port())
	s.hangup("configuration reloaded")
	expect(t, s.auth(pap("bob", bob.password)...), accept, "")
	if r := s.auth(pap("alice", a.password+a.code(t, 0))...); r.code != accept || r.get("Filter-Id") != "after-reload" {
		t.Errorf("after reload: want Access-Accept with Filter-Id after-reload; %v", r)
	}

	s.opts.enforce = "everyone"
	s.writeConfig(s.port())
	s.hangup("reload configuration refused")
	expect(t, s.auth(pap("bob", bob.password)...), accept, "")
}

// port returns the UDP port of the running server.
func (s *server) port() int {
	s.t.Helper()
	_, p, _ := strings.Cut(s.addr, ":")
	n, err := strconv.Atoi(p)
	if err != nil {
		s.t.Fatal(err)
	}
	return n
}
