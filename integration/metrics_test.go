//go:build integration

package integration

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// freeTCPAddr returns a 127.0.0.1 address with a TCP port free right now.
func freeTCPAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// httpGet returns the status code and body of GET url.
func httpGet(t *testing.T, url string) (int, string) {
	t.Helper()
	c := &http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// TestMetrics: /metrics counts decisions by client, mode, result and
// reason, drops by reason, and store and directory operations, without
// user names; /healthz and /readyz answer.
func TestMetrics(t *testing.T) {
	t.Parallel()
	alice := newUser("alice")
	addr := freeTCPAddr(t)
	s := startServer(t, options{users: []user{alice}, extra: fmt.Sprintf("metrics: { listen: %q }\n", addr)})
	a := s.enroll(alice)
	expect(t, s.auth(pap("alice", a.password+a.code(t, 0))...), accept, "")
	expect(t, s.auth(pap("alice", a.password+a.code(t, 0))...), reject, msgFailed)
	if r := radclient(t, s.addr, "auth", "not-the-secret", withMA(pap("alice", "x")), 1); r.code != noAnswer {
		t.Fatalf("a wrong secret was answered: %v", r)
	}

	code, body := httpGet(t, "http://"+addr+"/metrics")
	if code != http.StatusOK {
		t.Fatalf("/metrics: %d\n%s", code, body)
	}
	for _, want := range []string{
		`radiusd_requests_total{client="test",mode="password+otp",reason="password_and_code",result="accept"} 1`,
		`radiusd_requests_total{client="test",mode="password+otp",reason="replayed_code",result="reject"} 1`,
		`radiusd_dropped_packets_total{reason="bad_authenticator"} 1`,
		`radiusd_request_duration_seconds_count{result="accept"} 1`,
		`radiusd_store_duration_seconds_count{op="accept_step",outcome="ok"} 1`,
		`radiusd_directory_duration_seconds_count{op="authenticate",outcome="ok"} 1`,
		`radiusd_build_info{`,
		`radiusd_users{state="active"} 1`,
		`radiusd_users{state="none"} 0`,
		`radiusd_clock_offset_steps 0`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if strings.Contains(body, "alice") {
		t.Error("/metrics names a user")
	}
	if code, body := httpGet(t, "http://"+addr+"/healthz"); code != http.StatusOK {
		t.Errorf("/healthz: %d %s", code, body)
	}
	if code, body := httpGet(t, "http://"+addr+"/readyz"); code != http.StatusOK {
		t.Errorf("/readyz: %d %s", code, body)
	}
}
