package main

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"radiusd/auth"
	"radiusd/directory"
)

func TestMetricsEndpoints(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	m := newMetrics()
	m.Decision("vpn", auth.ModePasswordOTP, auth.Reject, "bad_code", 3*time.Millisecond)
	m.Drop("unknown_client")
	ready := errors.New("store: database is locked")
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- serveMetrics(ctx, ln, m, func(context.Context) error { return ready }) }()
	base := "http://" + ln.Addr().String()
	tests := []struct {
		path string
		code int
		want string
	}{
		{"/metrics", 200, `radiusd_requests_total{client="vpn",mode="password+otp",reason="bad_code",result="reject"} 1`},
		{"/metrics", 200, `radiusd_dropped_packets_total{reason="unknown_client"} 1`},
		{"/healthz", 200, "ok"},
		{"/readyz", 503, "not ready: store: database is locked"},
	}
	for _, tt := range tests {
		resp, err := http.Get(base + tt.path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tt.code || !strings.Contains(string(b), tt.want) {
			t.Errorf("GET %s = %d, want %d with %q:\n%s", tt.path, resp.StatusCode, tt.code, tt.want, b)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("serveMetrics after cancel: %v", err)
	}
}

func TestOutcome(t *testing.T) {
	for err, want := range map[error]string{
		nil:                                  "ok",
		directory.ErrInvalidCredentials:      "refused",
		context.DeadlineExceeded:             "timeout",
		errors.New("ldap: connection reset"): "error",
	} {
		if got := outcome(err); got != want {
			t.Errorf("outcome(%v) = %s, want %s", err, got, want)
		}
	}
}

// BenchmarkMetricsPerRequest is what the metrics add to one accepted bare
// code: a decision, and a Get and an AcceptStep timed.
func BenchmarkMetricsPerRequest(b *testing.B) {
	m := newMetrics()
	b.ReportAllocs()
	for b.Loop() {
		start := time.Now()
		m.Decision("vpn", auth.ModeOTPOnly, auth.Accept, "code", time.Millisecond)
		observe(m.store, "get", start, nil)
		observe(m.store, "accept_step", start, nil)
	}
}
