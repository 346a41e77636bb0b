package radiussrv

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"layeh.com/radius"
	"layeh.com/radius/rfc2865"
)

// udpServer runs s.Serve on a fresh UDP socket on host (a loopback address)
// and returns the socket address, the cancel function of Serve's context
// and a stop function that cancels it and returns Serve's error.
func udpServer(t *testing.T, s *Server, host string) (addr string, cancel func(), stop func() error) {
	t.Helper()
	conn, err := net.ListenPacket("udp", net.JoinHostPort(host, "0"))
	if err != nil {
		t.Skipf("no UDP on %s: %v", host, err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, conn) }()
	var once sync.Once
	var serveErr error
	stop = func() error {
		once.Do(func() {
			cancel()
			serveErr = <-done
		})
		return serveErr
	}
	t.Cleanup(func() { _ = stop() })
	return conn.LocalAddr().String(), cancel, stop
}

// udpClient is a raw UDP client socket to addr with a bounded read.
type udpClient struct {
	t    *testing.T
	conn net.Conn
}

func dialUDP(t *testing.T, addr string) *udpClient {
	t.Helper()
	conn, err := net.Dial("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return &udpClient{t: t, conn: conn}
}

func (c *udpClient) send(b []byte) {
	c.t.Helper()
	if _, err := c.conn.Write(b); err != nil {
		c.t.Fatal(err)
	}
}

func (c *udpClient) recv() []byte {
	c.t.Helper()
	_ = c.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 4096)
	n, err := c.conn.Read(buf)
	if err != nil {
		c.t.Fatalf("no reply: %v", err)
	}
	return buf[:n]
}

func loopbackClients(t *testing.T, host string) []Client {
	t.Helper()
	prefix := "127.0.0.0/8"
	if host == "::1" {
		prefix = "::1/128"
	}
	return []Client{testClient("loopback", prefix, testSecret)}
}

func TestServeUDP(t *testing.T) {
	for _, host := range []string{"127.0.0.1", "::1"} {
		t.Run(host, func(t *testing.T) {
			fake := &fakeAuth{}
			s, _, _ := newTestServer(t, Options{Clients: loopbackClients(t, host)}, fake)
			addr, _, stop := udpServer(t, s, host)
			c := dialUDP(t, addr)

			// A wrong secret is dropped; a valid request sent after it is answered.
			c.send(buildRequest(t, otherSecret, append(validOpts(), withID(1))...))
			req := buildRequest(t, testSecret, append(validOpts(), withID(2),
				withAttr(rfc2865.ProxyState_Type, []byte("a")), withAttr(rfc2865.ProxyState_Type, []byte("b")))...)
			c.send(req)
			p := checkReply(t, c.recv(), req, testSecret)
			if p.Code != radius.CodeAccessAccept || strings.Join(attrStrings(p, rfc2865.ProxyState_Type), ",") != "a,b" {
				t.Fatalf("code %v, Proxy-State %q; want Access-Accept, a,b", p.Code, attrStrings(p, rfc2865.ProxyState_Type))
			}

			// A retransmission gets the same bytes without a second decision.
			first := p
			c.send(req)
			again := checkReply(t, c.recv(), req, testSecret)
			if again.Authenticator != first.Authenticator || fake.callCount() != 1 {
				t.Fatalf("retransmission: authenticator changed or %d calls", fake.callCount())
			}

			status := buildRequest(t, testSecret, withCode(radius.CodeStatusServer), withMA(), withID(3))
			c.send(status)
			if p := checkReply(t, c.recv(), status, testSecret); p.Code != radius.CodeAccessAccept {
				t.Fatalf("Status-Server answered with %v", p.Code)
			}

			if err := stop(); err != nil {
				t.Fatalf("Serve: %v", err)
			}
			st := s.Stats()
			if st.Drops[DropBadAuthenticator] != 1 || st.DuplicatesAnswered != 1 || st.StatusServer != 1 || st.Requests["accept"] != 1 {
				t.Errorf("stats %+v", st)
			}
		})
	}
}

func TestServeWithLayehClient(t *testing.T) {
	for _, host := range []string{"127.0.0.1", "::1"} {
		t.Run(host, func(t *testing.T) {
			s, _, _ := newTestServer(t, Options{Clients: loopbackClients(t, host)}, &fakeAuth{})
			addr, _, _ := udpServer(t, s, host)
			req, err := radius.Parse(buildRequest(t, testSecret, validOpts()...), []byte(testSecret))
			if err != nil {
				t.Fatal(err)
			}
			wire, _ := req.Encode()
			client := &radius.Client{Retry: 0, MaxPacketErrors: 1}
			ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
			defer cancel()
			resp, err := client.Exchange(ctx, req, addr)
			if err != nil {
				t.Fatalf("Exchange: %v", err)
			}
			if resp.Code != radius.CodeAccessAccept {
				t.Fatalf("code %v, want Access-Accept", resp.Code)
			}
			raw, _ := resp.MarshalBinary()
			checkReply(t, raw, wire, testSecret)
		})
	}
}

func TestServeShutdownFinishesInFlight(t *testing.T) {
	fake := &fakeAuth{entered: make(chan struct{}, 1), gate: make(chan struct{})}
	s, _, _ := newTestServer(t, Options{Clients: loopbackClients(t, "127.0.0.1")}, fake)
	addr, cancel, stop := udpServer(t, s, "127.0.0.1")
	c := dialUDP(t, addr)
	req := buildRequest(t, testSecret, validOpts()...)
	c.send(req)
	<-fake.entered
	cancel() // shutdown begins while the request is in flight
	close(fake.gate)
	if p := checkReply(t, c.recv(), req, testSecret); p.Code != radius.CodeAccessAccept {
		t.Fatalf("in-flight request answered with %v after shutdown began", p.Code)
	}
	if err := stop(); err != nil {
		t.Fatalf("Serve: %v", err)
	}
}

// dropSignal is a slog handler that reports each drop log line.
type dropSignal struct{ drops chan string }

func (d dropSignal) Enabled(context.Context, slog.Level) bool { return true }
func (d dropSignal) WithAttrs([]slog.Attr) slog.Handler       { return d }
func (d dropSignal) WithGroup(string) slog.Handler            { return d }
func (d dropSignal) Handle(_ context.Context, r slog.Record) error {
	if r.Message == "radius packet dropped" {
		r.Attrs(func(a slog.Attr) bool {
			if a.Key == "reason" {
				d.drops <- a.Value.String()
			}
			return true
		})
	}
	return nil
}

func TestServeOverloaded(t *testing.T) {
	fake := &fakeAuth{entered: make(chan struct{}, 2), gate: make(chan struct{})}
	signal := dropSignal{drops: make(chan string, 4)}
	s, err := New(Options{Clients: loopbackClients(t, "127.0.0.1"), MaxInFlight: 1}, fake, slog.New(signal))
	if err != nil {
		t.Fatal(err)
	}
	addr, _, stop := udpServer(t, s, "127.0.0.1")
	c := dialUDP(t, addr)
	req := buildRequest(t, testSecret, append(validOpts(), withID(1))...)
	c.send(req)
	<-fake.entered
	c.send(buildRequest(t, testSecret, append(validOpts(), withID(2))...))
	if reason := <-signal.drops; reason != DropOverloaded {
		t.Fatalf("drop reason %q, want %q", reason, DropOverloaded)
	}
	close(fake.gate)
	if p := checkReply(t, c.recv(), req, testSecret); p.Code != radius.CodeAccessAccept {
		t.Fatalf("code %v", p.Code)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if got := s.Stats().Drops[DropOverloaded]; got != 1 || fake.callCount() != 1 {
		t.Errorf("Drops[overloaded] = %d, %d calls; want 1 and 1", got, fake.callCount())
	}
}

func TestServeReturnsWhenConnCloses(t *testing.T) {
	s, _, _ := newTestServer(t, Options{}, &fakeAuth{})
	conn, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve(t.Context(), conn) }()
	_ = conn.Close()
	if err := <-done; !errors.Is(err, net.ErrClosed) {
		t.Errorf("Serve = %v, want net.ErrClosed", err)
	}
}

func TestLogHoldsNoSecrets(t *testing.T) {
	fake := &fakeAuth{}
	s, logs, _ := newTestServer(t, Options{Clients: loopbackClients(t, "127.0.0.1")}, fake)
	addr, _, stop := udpServer(t, s, "127.0.0.1")
	c := dialUDP(t, addr)
	for i, pw := range []string{testPass + testCode, testPass + "000000"} { // accepted, rejected
		req := buildRequest(t, testSecret, append(validOpts()[:2], withPassword(pw), withID(byte(i)),
			withAttr(rfc2865.State_Type, []byte("STATE-"+testCode)))...)
		c.send(req)
		checkReply(t, c.recv(), req, testSecret)
	}
	c.send(buildRequest(t, otherSecret, validOpts()...)) // a drop with the wrong secret
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	out := logs.String()
	if n := strings.Count(out, `"msg":"radius decision"`); n != 2 {
		t.Errorf("%d decision lines for 2 requests:\n%s", n, out)
	}
	for _, leak := range []string{testPass, testCode, testSecret, otherSecret, "STATE-"} {
		if strings.Contains(out, leak) {
			t.Errorf("log contains %q:\n%s", leak, out)
		}
	}
	for _, key := range []string{`"msg":"radius decision"`, `"user":"alice"`, `"client":"loopback"`, `"remote":"127.0.0.1:`,
		`"radius_id":`, `"mode":"password+otp"`, `"result":"accept"`, `"result":"reject"`, `"reason":"ok"`, `"duration_ms":`} {
		if !strings.Contains(out, key) {
			t.Errorf("log lacks %s:\n%s", key, out)
		}
	}
}
