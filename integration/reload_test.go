//go:build integration

package integration

import (
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
