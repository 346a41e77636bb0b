//go:build integration

package integration

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// pamService writes a PAM service that authenticates with Debian's
// pam_radius_auth against s, and returns its name; cleanup removes it.
// PAM reads services only from /etc/pam.d, so this needs root.
func pamService(t *testing.T, s *server) string {
	t.Helper()
	requireTool(t, "pamtester")
	module := "/lib/x86_64-linux-gnu/security/pam_radius_auth.so"
	if _, err := os.Stat(module); err != nil || os.Geteuid() != 0 {
		msg := "pam_radius_auth and root are needed; install with: apt-get install -y libpam-radius-auth pamtester"
		if os.Getenv("RADIUSD_INTEGRATION_REQUIRED") == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	conf := s.writeFile("pam_radius_auth.conf", fmt.Sprintf("%s %s 3\n", s.addr, s.secret), 0o600)
	name := "radiusd-test-" + strings.ReplaceAll(s.addr, ":", "-") // the port is unique while s runs
	path := filepath.Join("/etc/pam.d", name)
	service := fmt.Sprintf("auth required pam_radius_auth.so conf=%s\naccount required pam_permit.so\n", conf)
	if err := os.WriteFile(path, []byte(service), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Remove(path) })
	return name
}

// pamtester runs "pamtester service user authenticate" with the answers to
// PAM's prompts on stdin, one per line, and reports whether it succeeded.
func pamtester(t *testing.T, service, user string, answers ...string) (bool, string) {
	t.Helper()
	cmd := exec.Command("pamtester", "-v", service, user, "authenticate")
	res := runCommand(t, cmd, strings.Join(answers, "\n")+"\n")
	out := res.stdout + res.stderr
	return strings.Contains(out, "successfully authenticated"), out
}

// TestPAMPasswordOTP: pam_radius_auth sends the password with the code
// appended, as typed at the password prompt.
func TestPAMPasswordOTP(t *testing.T) {
	alice := newUser("alice")
	s := startServer(t, options{mode: "password+otp", users: []user{alice}, noRequireMA: true})
	service := pamService(t, s)
	a := s.enroll(alice)
	if ok, out := pamtester(t, service, "alice", a.password+a.code(t, 0)); !ok {
		t.Fatalf("password+code refused:\n%s", out)
	}
	if ok, out := pamtester(t, service, "alice", a.password+a.code(t, 0)); ok {
		t.Fatalf("replayed code accepted:\n%s", out)
	}
	if ok, out := pamtester(t, service, "alice", "x"+a.password+a.code(t, 1)); ok {
		t.Fatalf("wrong password accepted:\n%s", out)
	}
}

// TestPAMChallenge: the password first; radiusd's Access-Challenge becomes
// a second PAM prompt, answered with the code.
func TestPAMChallenge(t *testing.T) {
	alice := newUser("alice")
	s := startServer(t, options{mode: "challenge", users: []user{alice}, noRequireMA: true})
	service := pamService(t, s)
	a := s.enroll(alice)
	ok, out := pamtester(t, service, "alice", a.password, a.code(t, 0))
	if !ok {
		t.Fatalf("password then code refused:\n%s", out)
	}
	if !strings.Contains(out, msgPrompt) {
		t.Errorf("the code prompt %q was not shown:\n%s", msgPrompt, out)
	}
	wrong := a.key.wrongCodes(t, a.base, 1)[0]
	if ok, out := pamtester(t, service, "alice", a.password, wrong); ok {
		t.Fatalf("wrong code accepted:\n%s", out)
	}
}
