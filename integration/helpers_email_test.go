//go:build integration

package integration

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"radiusd/notify/smtptest"
)

// Reply-Messages of codes sent by e-mail or SMS (auth/messagecode.go).
const (
	msgNotSent     = "Your code could not be sent: try again in 30s"
	msgResend      = "A code was sent moments ago: wait 30s, then sign in again"
	msgNoChallenge = "This login cannot receive a code by e-mail or SMS: use your VPN client's code prompt"
)

// sendBudget is the longest a request that sends a code may take, as
// radclient sees it: radius.request_timeout (2s in the tests) plus a
// margin for radclient's own start and a loaded machine.
const sendBudget = 3 * time.Second

// contact is a users-file entry with the addresses codes are sent to.
type contact struct {
	user
	email, mobile string
	groups        []string // in addition to vpn-users
}

// writeContacts replaces users.yaml with entries that carry email: and
// mobile: keys.
func (s *server) writeContacts(cs ...contact) {
	s.t.Helper()
	var b strings.Builder
	b.WriteString("users:\n")
	for _, c := range cs {
		fmt.Fprintf(&b, "  - name: %q\n    password_hash: %q\n    groups: [%s]\n",
			c.name, hashPassword(s.t, c.password), quoteList(append([]string{"vpn-users"}, c.groups...)))
		if c.email != "" {
			fmt.Fprintf(&b, "    email: %q\n", c.email)
		}
		if c.mobile != "" {
			fmt.Fprintf(&b, "    mobile: %q\n", c.mobile)
		}
	}
	s.writeFile("users.yaml", b.String(), 0o644)
}

// startContacts starts radiusd with o and a users file of cs.
func startContacts(t *testing.T, o options, cs ...contact) *server {
	t.Helper()
	s := newServer(t, o)
	s.writeContacts(cs...)
	s.start()
	return s
}

// setMethod runs "radiusd user method NAME METHOD" and checks that "user
// show" then prints it.
func (s *server) setMethod(name, method string) {
	s.t.Helper()
	s.mustCLI("user method", name, method)
	if out := s.mustCLI("user show", name); !regexp.MustCompile(`(?m)^method:\s+` + method + `$`).MatchString(out) {
		s.t.Fatalf("user show %s after user method %s:\n%s", name, method, out)
	}
}

// answer sends the code with the State of an Access-Challenge.
func (s *server) answer(name, state, code string) reply {
	s.t.Helper()
	return s.auth(append(pap(name, code), "State = "+state)...)
}

// expectChallenge checks an Access-Challenge with msg and a State, and
// returns the State.
func expectChallenge(t *testing.T, r reply, msg string) string {
	t.Helper()
	expect(t, r, challenge, "")
	if got := r.get("Reply-Message"); got != msg {
		t.Fatalf("Reply-Message %q, want %q; %v", got, msg, r)
	}
	state := r.get("State")
	if !strings.HasPrefix(state, "0x") || len(state) < 10 {
		t.Fatalf("Access-Challenge State = %q, want a non-trivial value; %v", state, r)
	}
	return state
}

// timedAuth is auth that also returns how long radclient waited.
func (s *server) timedAuth(lines ...string) (reply, time.Duration) {
	s.t.Helper()
	start := time.Now()
	r := s.auth(lines...)
	return r, time.Since(start)
}

// randomSecret returns prefix and 12 random hex digits, registered as a
// secret of kind.
func randomSecret(kind, prefix string) string {
	b := make([]byte, 6)
	rand.Read(b)
	v := prefix + hex.EncodeToString(b)
	sensitive.remember(kind, v)
	return v
}

// codeIn finds the one code of digits digits in text and registers it.
func codeIn(t *testing.T, text string, digits int) string {
	t.Helper()
	m := regexp.MustCompile(`(?:^|[^0-9])([0-9]{`+strconv.Itoa(digits)+`})(?:$|[^0-9])`).FindAllStringSubmatch(text, -1)
	if len(m) != 1 {
		t.Fatalf("want exactly one %d-digit code in %q, found %d", digits, text, len(m))
	}
	sensitive.remember("sent code", m[0][1])
	return m[0][1]
}

// mailTo waits up to 5 seconds until the SMTP server holds n messages to
// rcpt and returns them.
func mailTo(t *testing.T, srv *smtptest.Server, rcpt string, n int) []smtptest.Message {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		var got []smtptest.Message
		for _, m := range srv.Messages(t) {
			if len(m.To) == 1 && m.To[0] == rcpt {
				got = append(got, m)
			}
		}
		if len(got) >= n || time.Now().After(deadline) {
			if len(got) != n {
				t.Fatalf("%d messages to %s, want %d", len(got), rcpt, n)
			}
			return got
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// emailSection is the messages section for srv, with AUTH when pwFile is
// not "" and more keys of messages: in extra (indented by two spaces).
func emailSection(srv *smtptest.Server, pwFile, extra string) string {
	auth := ""
	if pwFile != "" {
		auth = fmt.Sprintf("\n    username: %q\n    password_file: %q", srv.Username, pwFile)
	}
	return fmt.Sprintf(`messages:
  email:
    server: %q
    tls: %s
    ca_file: %q%s
    from: "VPN <vpn@example.org>"
%s`, srv.Addr, srv.TLS, srv.CAFile, auth, extra)
}

// startSMTP starts an SMTP server in mode (STARTTLS or implicit TLS)
// with AUTH under a random password, and returns it with a file holding
// that password for radiusd's messages.email.password_file.
func startSMTP(t *testing.T, mode string) (*smtptest.Server, string) {
	t.Helper()
	pw := randomSecret("SMTP password", "smtp-")
	srv := smtptest.Start(t, smtptest.Options{TLS: mode, Password: pw})
	file := filepath.Join(t.TempDir(), "smtp.password")
	if err := os.WriteFile(file, []byte(pw+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return srv, file
}

// metricValue returns the value of the series (name and labels, exactly
// as /metrics prints them) at the metrics address, or -1 if absent.
func metricValue(t *testing.T, addr, series string) float64 {
	t.Helper()
	code, body := httpGet(t, "http://"+addr+"/metrics")
	if code != http.StatusOK {
		t.Fatalf("/metrics: %d\n%s", code, body)
	}
	for _, l := range strings.Split(body, "\n") {
		if v, ok := strings.CutPrefix(l, series+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatalf("/metrics: %q: %v", l, err)
			}
			return f
		}
	}
	return -1
}

// expectMetrics checks series → value at the metrics address.
func expectMetrics(t *testing.T, addr string, want map[string]float64) {
	t.Helper()
	for series, v := range want {
		if got := metricValue(t, addr, series); got != v {
			t.Errorf("%s = %v, want %v", series, got, v)
		}
	}
}

// noneIn fails t if the log of s holds any of values (all-digit ones
// only where they stand alone, as the end-of-run check counts them).
func noneIn(t *testing.T, s *server, values ...string) {
	t.Helper()
	r := registry{values: map[string]string{}}
	r.remember("secret", values...)
	if leaks := r.leaks(s.log()); len(leaks) > 0 {
		t.Errorf("the radiusd log holds %d secret values used by the test", len(leaks))
	}
}
