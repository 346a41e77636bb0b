package main

import (
	"bytes"
	"crypto/hmac"
	"crypto/md5"
	"encoding/json"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pquerna/otp/hotp"
	"layeh.com/radius"

	"radiusd/secret"
)

// fakeServer is a tiny RADIUS responder for the end-to-end tests. It drops
// requests whose Message-Authenticator does not verify, answers
// Status-Server, accepts a PAP TOTP code only for a step later than the
// user's last accepted one (±1 step), caches replies for duplicates
// (RFC 5080), and signs replies with replySecret independently of packet.go.
type fakeServer struct {
	conn        *net.UDPConn
	secret      []byte // shared secret of requests
	replySecret []byte // secret replies are signed with (differs to provoke invalid replies)
	password    string // expected before the code, if any
	noCode      bool   // the password alone is the whole credential
	noReplay    bool   // no replay protection: a used step is accepted again
	now         func() time.Time
	drop        bool
	secrets     map[string]string // user → base32 TOTP secret

	mu        sync.Mutex
	last      map[string]int64
	cache     map[string][]byte
	badMA     int
	decisions int
}

// startFake listens on 127.0.0.1 and serves until the test ends.
func startFake(t *testing.T, f *fakeServer, users int) string {
	t.Helper()
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	f.conn, f.last, f.cache, f.secrets = conn, map[string]int64{}, map[string][]byte{}, map[string]string{}
	for i := range users {
		f.secrets[userName("u", i)] = deriveSecret("seed", userName("u", i))
	}
	done := make(chan struct{})
	go func() { defer close(done); f.serve() }()
	t.Cleanup(func() { _ = conn.Close(); <-done })
	return conn.LocalAddr().String()
}

func (f *fakeServer) serve() {
	buf := make([]byte, 4096)
	for {
		n, from, err := f.conn.ReadFromUDP(buf)
		if err != nil {
			return
		}
		if reply := f.handle(bytes.Clone(buf[:n]), from.String()); reply != nil {
			_, _ = f.conn.WriteToUDP(reply, from)
		}
	}
}

func (f *fakeServer) handle(req []byte, from string) []byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.drop || len(req) < 20 {
		return nil
	}
	key := from + string(req[1:20])
	if r, ok := f.cache[key]; ok {
		return r
	}
	if !testRequestMAValid(req, f.secret) {
		f.badMA++
		return nil
	}
	f.decisions++
	reply := testSignedResponse(f.decide(req), req[1], req[4:20], f.replySecret, rawAttr(18, []byte("hi")))
	f.cache[key] = reply
	return reply
}

// decide returns the reply code for a verified request.
func (f *fakeServer) decide(req []byte) byte {
	if req[0] == byte(radius.CodeStatusServer) {
		return byte(radius.CodeAccessAccept)
	}
	p, err := radius.Parse(req, f.secret)
	if err != nil {
		return byte(radius.CodeAccessReject)
	}
	user := string(p.Get(1))
	pw, err := radius.UserPassword(p.Get(2), f.secret, req[4:20])
	if f.noCode {
		if err == nil && string(pw) == f.password && f.secrets[user] != "" {
			return byte(radius.CodeAccessAccept)
		}
		return byte(radius.CodeAccessReject)
	}
	code, ok := strings.CutPrefix(string(pw), f.password)
	if err != nil || !ok || len(code) != 6 || f.secrets[user] == "" {
		return byte(radius.CodeAccessReject)
	}
	cur := f.now().Unix() / totpPeriod
	for s := cur - 1; s <= cur+1; s++ {
		want, _ := hotp.GenerateCode(f.secrets[user], uint64(s))
		if want == code && (s > f.lastStep(user) || f.noReplay) {
			f.last[user] = s
			return byte(radius.CodeAccessAccept)
		}
	}
	return byte(radius.CodeAccessReject)
}

func (f *fakeServer) badMACount() uint64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return uint64(f.badMA)
}

func (f *fakeServer) lastStep(user string) int64 {
	if s, ok := f.last[user]; ok {
		return s
	}
	return -1 << 62
}

// testRequestMAValid walks the attributes of req, independently of
// packet.go, and checks its Message-Authenticator.
func testRequestMAValid(req, secret []byte) bool {
	for off := 20; off+2 <= len(req); off += int(req[off+1]) {
		if req[off+1] < 2 {
			return false
		}
		if req[off] != 80 || req[off+1] != 18 || off+18 > len(req) {
			continue
		}
		zeroed := bytes.Clone(req)
		copy(zeroed[off+2:off+18], make([]byte, 16))
		mac := hmac.New(md5.New, secret)
		mac.Write(zeroed)
		return hmac.Equal(mac.Sum(nil), req[off+2:off+18])
	}
	return false
}

// testConfig is a small bounded run against addr with a fixed clock.
func testConfig(addr, scenario string, maxRequests uint64) runConfig {
	return runConfig{
		server: addr, secret: secretValue("shared"), scenario: scenario, concurrency: 4,
		duration: 10 * time.Second, maxRequests: maxRequests, users: 10, prefix: "u", seed: "seed",
		timeout: 5 * time.Second, replays: 2, resends: 3, stepsBack: 1, stepsAhead: 1, // generous timeout: a loaded CI machine can stall

		now: func() time.Time { return midStep }, procRoot: "/proc",
	}
}

func secretValue(s string) secret.Value { return secret.New([]byte(s)) }

func TestEndToEnd(t *testing.T) {
	tests := []struct {
		name     string
		scenario string
		max      uint64
		password string
		check    func(t *testing.T, r *report, f *fakeServer)
	}{
		{"code: every fresh code accepted", scenCode, 30, "", func(t *testing.T, r *report, f *fakeServer) {
			want(t, "accepts", r.Accepts, 30)
		}},
		{"password-code", scenPasswordCode, 30, "Pa55!", func(t *testing.T, r *report, f *fakeServer) {
			want(t, "accepts", r.Accepts, 30)
		}},
		{"reject: wrong codes", scenReject, 25, "", func(t *testing.T, r *report, f *fakeServer) {
			want(t, "rejects", r.Rejects, 25)
		}},
		{"replay: primes accepted, replays rejected", scenReplay, 30, "", func(t *testing.T, r *report, f *fakeServer) {
			want(t, "accepts+rejects", r.Accepts+r.Rejects, 30)
			if r.Rejects < 2*r.Accepts-8 || r.Accepts == 0 { // a worker stopped by the budget may cut a round short
				t.Errorf("accepts %d rejects %d: want about two replays per accept", r.Accepts, r.Rejects)
			}
		}},
		{"code from a later first user", scenCode, 15, "", func(t *testing.T, r *report, f *fakeServer) {
			want(t, "accepts", r.Accepts, 15)
			f.mu.Lock()
			defer f.mu.Unlock()
			for u := range f.last {
				if u < "u000005" {
					t.Errorf("user %s below --first-user 5 was used", u)
				}
			}
		}},
		{"status", scenStatus, 40, "", func(t *testing.T, r *report, f *fakeServer) {
			want(t, "accepts", r.Accepts, 40)
		}},
		{"password alone", scenPassword, 40, "Pa55!", func(t *testing.T, r *report, f *fakeServer) {
			want(t, "accepts", r.Accepts, 40)
		}},
		{"duplicate: resends answered from cache", scenDuplicate, 40, "", func(t *testing.T, r *report, f *fakeServer) {
			want(t, "accepts", r.Accepts, 40)
			f.mu.Lock()
			defer f.mu.Unlock()
			want(t, "duplicates_cached", r.DuplicatesCached, 40-uint64(f.decisions))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeServer{secret: []byte("shared"), replySecret: []byte("shared"), password: tt.password,
				noCode: tt.scenario == scenPassword, now: func() time.Time { return midStep }}
			cfg := testConfig(startFake(t, f, 10), tt.scenario, tt.max)
			cfg.password = secretValue(tt.password)
			if strings.Contains(tt.name, "first user") {
				cfg.firstUser, cfg.users = 5, 5
			}
			r, err := execute(t.Context(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			want(t, "requests", r.Requests, tt.max)
			for name, v := range map[string]uint64{"unexpected": r.Unexpected, "invalid": r.Invalid,
				"timeouts": r.Timeouts, "errors": r.Errors, "bad M-A at server": f.badMACount()} {
				want(t, name, v, 0)
			}
			if r.Latency.P50 <= 0 || r.Latency.Max < r.Latency.P99 || r.Latency.P99 < r.Latency.P50 {
				t.Errorf("latency %+v", r.Latency)
			}
			tt.check(t, r, f)
		})
	}
}

func TestEndToEndFailures(t *testing.T) {
	tests := []struct {
		name        string
		replySecret string
		drop        bool
		retries     int
		check       func(t *testing.T, r *report)
	}{
		{"replies signed with another secret are invalid", "other", false, 0, func(t *testing.T, r *report) {
			want(t, "invalid", r.Invalid, 6)
			want(t, "accepts", r.Accepts, 0)
		}},
		{"silence times out after retransmits", "shared", true, 1, func(t *testing.T, r *report) {
			want(t, "timeouts", r.Timeouts, 6)
			want(t, "retransmits", r.Retransmits, 6)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeServer{secret: []byte("shared"), replySecret: []byte(tt.replySecret), drop: tt.drop,
				now: func() time.Time { return midStep }}
			cfg := testConfig(startFake(t, f, 10), scenStatus, 6)
			cfg.timeout, cfg.retries, cfg.concurrency = 50*time.Millisecond, tt.retries, 2
			r, err := execute(t.Context(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			want(t, "requests", r.Requests, 6)
			tt.check(t, r)
		})
	}
}

// TestNoServer checks that a closed port yields counted socket errors and
// timeouts at the --timeout pace, not a busy loop.
func TestNoServer(t *testing.T) {
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	addr := conn.LocalAddr().String()
	_ = conn.Close() // nothing listens there now: the kernel answers ICMP port unreachable
	cfg := testConfig(addr, scenStatus, 4)
	cfg.timeout, cfg.concurrency = 20*time.Millisecond, 1
	r, err := execute(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	want(t, "requests", r.Requests, 4)
	want(t, "timeouts", r.Timeouts, 4)
	if r.Errors == 0 || r.Errors > 8 {
		t.Errorf("socket errors = %d, want 1 … 8", r.Errors)
	}
}

// TestRunCommandJSON drives the whole run command in process, sampling this
// test process as the "server".
func TestRunCommandJSON(t *testing.T) {
	f := &fakeServer{secret: []byte("shared"), replySecret: []byte("shared"), now: time.Now}
	addr := startFake(t, f, 0)
	args := []string{"run", "--server", addr, "--secret", "shared", "--scenario", "status",
		"--concurrency", "2", "--max-requests", "20", "--json", "--strict", "--rss-series",
		"--server-pid", strconv.Itoa(os.Getpid()), "--metrics-url", metricsServer(t).URL + "/metrics"}
	var out, errOut bytes.Buffer
	if code := run(t.Context(), args, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	var r report
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatalf("%v in %s", err, out.String())
	}
	if r.Requests != 20 || r.Accepts != 20 || r.ServerProcess == nil || r.ServerProcess.Samples < 2 ||
		r.ServerProcess.RSSEndKB == 0 || len(r.ServerProcess.RSSSeriesKB) < 2 ||
		r.Metrics == nil || r.Metrics.GoroutinesStart != 11 || r.Metrics.GoroutinesEnd != 12 {
		t.Fatalf("report %s", out.String())
	}
	if strings.Contains(out.String()+errOut.String(), "shared") {
		t.Fatal("the shared secret appears in the output")
	}
}

func TestTextReport(t *testing.T) {
	r := &report{Scenario: scenReject, Server: "127.0.0.1:1812", Concurrency: 2, Requests: 10,
		StarvedPercent: 12, ServerProcess: &serverReport{PID: 1, RSSSeriesKB: []uint64{10, 11}},
		Rate:    &rateReport{Target: 500, Scheduled: 10, Sent: 8, Missed: 2, Late: 1},
		Metrics: &metricsReport{GoroutinesStart: 12, GoroutinesEnd: 14, ResidentBytesStart: 1 << 20, ResidentBytesEnd: 3 << 19}}
	var b bytes.Buffer
	if err := r.write(&b, false); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"lockout", "raise --users", "rss-series kB, one per second: 10 11", "requests   10",
		"target 500/s  scheduled 10  sent 8  missed 2", "late 1", "go_goroutines 12 → 14", "1.0 → 1.5 MiB"} {
		if !strings.Contains(b.String(), s) {
			t.Errorf("text report lacks %q:\n%s", s, b.String())
		}
	}
}

func want(t *testing.T, name string, got, want uint64) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %d, want %d", name, got, want)
	}
}
