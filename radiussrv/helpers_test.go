package radiussrv

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/md5"
	"encoding/binary"
	"log/slog"
	"net/netip"
	"sync"
	"testing"
	"time"

	"layeh.com/radius"
	"layeh.com/radius/rfc2865"
	"layeh.com/radius/rfc2869"

	"radiusd/auth"
	"radiusd/secret"
)

const (
	testSecret  = "s3cr3t-Shared-Key-Do-Not-Log"
	otherSecret = "a-different-shared-secret"
	testPass    = "S3cret!Pw" // password part of the test credentials
	testCode    = "770913"    // TOTP code part of the test credentials
)

var (
	testRemote  = netip.MustParseAddrPort("192.0.2.10:40000")
	testReqAuth = [16]byte{0x10, 0x21, 0x32, 0x43, 0x54, 0x65, 0x76, 0x87, 0x98, 0xa9, 0xba, 0xcb, 0xdc, 0xed, 0xfe, 0x0f}
)

// fakeClock is a settable clock.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{t: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// fakeAuth is a hand-written Authenticator. decide defaults to Accept for
// testPass+testCode and Reject otherwise. If gate is set, Authenticate
// signals entered and waits for gate (or ctx) before deciding.
type fakeAuth struct {
	mu      sync.Mutex
	calls   []auth.Request
	accepts int
	decide  func(ctx context.Context, req auth.Request) (auth.Decision, error)
	entered chan struct{}
	gate    chan struct{}
}

func (f *fakeAuth) Authenticate(ctx context.Context, req auth.Request) (auth.Decision, error) {
	f.mu.Lock()
	f.calls = append(f.calls, req)
	f.mu.Unlock()
	if f.gate != nil {
		f.entered <- struct{}{}
		select {
		case <-f.gate:
		case <-ctx.Done():
			return auth.Decision{}, ctx.Err()
		}
	}
	decide := f.decide
	if decide == nil {
		decide = acceptCredentials
	}
	dec, err := decide(ctx, req)
	if err == nil && dec.Result == auth.Accept {
		f.mu.Lock()
		f.accepts++
		f.mu.Unlock()
	}
	return dec, err
}

func (f *fakeAuth) callCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.calls)
}

func (f *fakeAuth) acceptCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.accepts
}

func (f *fakeAuth) lastCall(t *testing.T) auth.Request {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.calls) == 0 {
		t.Fatal("Authenticator was not called")
	}
	return f.calls[len(f.calls)-1]
}

func acceptCredentials(_ context.Context, req auth.Request) (auth.Decision, error) {
	if req.Password == testPass+testCode {
		return auth.Decision{Result: auth.Accept, User: req.Username, Reason: "ok", ReplyMessage: "Welcome"}, nil
	}
	return auth.Decision{Result: auth.Reject, User: req.Username, Reason: "bad_credentials", ReplyMessage: "Access denied"}, nil
}

// testClient is a client for prefix that requires Message-Authenticator.
func testClient(name, prefix, key string) Client {
	return Client{
		Name:                        name,
		Networks:                    []netip.Prefix{netip.MustParsePrefix(prefix)},
		Secret:                      secret.New([]byte(key)),
		Mode:                        auth.ModePasswordOTP,
		RequireMessageAuthenticator: true,
	}
}

// logBuffer is a goroutine-safe capture of JSON log output.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// newTestServer returns a server for testClient("vpn", 192.0.2.0/24) and
// opt-out client "legacy" (198.51.100.0/24), logging JSON at Debug to the
// returned buffer. opts.Clients, if set, replaces them.
func newTestServer(t testing.TB, opts Options, a Authenticator) (*Server, *logBuffer, *fakeClock) {
	t.Helper()
	clock := newFakeClock()
	if opts.Clients == nil {
		legacy := testClient("legacy", "198.51.100.0/24", testSecret)
		legacy.RequireMessageAuthenticator = false
		legacy.Mode = auth.ModeChallenge
		opts.Clients = []Client{testClient("vpn", "192.0.2.0/24", testSecret), legacy}
	}
	if opts.Now == nil {
		opts.Now = clock.Now
	}
	logs := &logBuffer{}
	logger := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	s, err := New(opts, a, logger)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return s, logs, clock
}

// reqOpt changes a request under construction.
type reqOpt func(t testing.TB, p *radius.Packet, key []byte)

func withUser(name string) reqOpt {
	return func(_ testing.TB, p *radius.Packet, _ []byte) { p.Add(rfc2865.UserName_Type, radius.Attribute(name)) }
}

func withPassword(pw string) reqOpt {
	return func(t testing.TB, p *radius.Packet, key []byte) {
		a, err := radius.NewUserPassword([]byte(pw), key, p.Authenticator[:])
		if err != nil {
			t.Fatalf("NewUserPassword: %v", err)
		}
		p.Add(rfc2865.UserPassword_Type, a)
	}
}

// withHiddenPassword hides plain as is (no NUL padding, any length).
func withHiddenPassword(plain []byte) reqOpt {
	return func(_ testing.TB, p *radius.Packet, key []byte) {
		p.Add(rfc2865.UserPassword_Type, hide(plain, key, p.Authenticator[:]))
	}
}

func withAttr(typ radius.Type, v []byte) reqOpt {
	return func(_ testing.TB, p *radius.Packet, _ []byte) { p.Add(typ, radius.Attribute(v)) }
}

func withMA() reqOpt { return withAttr(rfc2869.MessageAuthenticator_Type, make([]byte, 16)) }

func withCode(c radius.Code) reqOpt {
	return func(_ testing.TB, p *radius.Packet, _ []byte) { p.Code = c }
}

func withID(id byte) reqOpt {
	return func(_ testing.TB, p *radius.Packet, _ []byte) { p.Identifier = id }
}

func withAuthenticator(a [16]byte) reqOpt {
	return func(_ testing.TB, p *radius.Packet, _ []byte) { p.Authenticator = a }
}

// validOpts are a complete, accepted PAP request with Message-Authenticator.
func validOpts() []reqOpt {
	return []reqOpt{withMA(), withUser("alice"), withPassword(testPass + testCode)}
}

// buildRequest encodes an Access-Request (id 7, testReqAuth) with opts
// applied in order and, if it has one, a valid Message-Authenticator
// computed with key.
func buildRequest(t testing.TB, key string, opts ...reqOpt) []byte {
	t.Helper()
	p := &radius.Packet{Code: radius.CodeAccessRequest, Identifier: 7, Authenticator: testReqAuth}
	for _, o := range opts {
		o(t, p, []byte(key))
	}
	b, err := p.MarshalBinary()
	if err != nil {
		t.Fatalf("MarshalBinary: %v", err)
	}
	resign(b, []byte(key))
	return b
}

// resign recomputes the first Message-Authenticator of the request b, if it
// has one of the right length; it tolerates malformed input (fuzzing).
func resign(b, key []byte) bool {
	if len(b) < 20 {
		return false
	}
	n := min(len(b), int(binary.BigEndian.Uint16(b[2:4])))
	for i := 20; i+2 <= n && b[i+1] >= 2 && i+int(b[i+1]) <= n; i += int(b[i+1]) {
		if b[i] == byte(rfc2869.MessageAuthenticator_Type) && b[i+1] == maLen {
			clear(b[i+2 : i+maLen])
			h := hmac.New(md5.New, key)
			h.Write(b[:n])
			h.Sum(b[i+2 : i+2])
			return true
		}
	}
	return false
}

// hide applies RFC 2865 §5.2 to plain without padding or length checks.
func hide(plain, key, reqAuth []byte) []byte {
	out := make([]byte, len(plain))
	prev := reqAuth
	for i := 0; i < len(plain); i += 16 {
		h := md5.Sum(append(append([]byte(nil), key...), prev...))
		for j := 0; j < 16 && i+j < len(plain); j++ {
			out[i+j] = plain[i+j] ^ h[j]
		}
		prev = out[i:min(i+16, len(out))]
	}
	return out
}

// checkReply verifies reply as the answer to req: same Identifier, valid
// Response Authenticator, and a valid Message-Authenticator as the first
// attribute. It returns the parsed reply.
func checkReply(t testing.TB, reply, req []byte, key string) *radius.Packet {
	t.Helper()
	if err := replyError(reply, req, []byte(key)); err != "" {
		t.Fatalf("reply: %s", err)
	}
	p, _ := radius.Parse(reply, []byte(key))
	return p
}

// replyError is checkReply's test, usable from fuzz properties.
func replyError(reply, req, key []byte) string {
	p, err := radius.Parse(reply, key)
	switch {
	case err != nil:
		return "does not parse: " + err.Error()
	case len(reply) != int(binary.BigEndian.Uint16(reply[2:4])):
		return "length field differs from size"
	case p.Identifier != req[1]:
		return "identifier differs from the request's"
	case !radius.IsAuthenticResponse(reply, req, key):
		return "response authenticator does not verify"
	case len(p.Attributes) == 0 || p.Attributes[0].Type != rfc2869.MessageAuthenticator_Type || len(p.Attributes[0].Attribute) != 16:
		return "first attribute is not a Message-Authenticator"
	case len(values(p.Attributes, rfc2869.MessageAuthenticator_Type)) != 1:
		return "more than one Message-Authenticator"
	}
	b := append([]byte(nil), reply...)
	copy(b[4:20], req[4:20])
	clear(b[22:38])
	h := hmac.New(md5.New, key)
	h.Write(b)
	if !hmac.Equal(h.Sum(nil), reply[22:38]) {
		return "message-authenticator does not verify"
	}
	return ""
}

// attrStrings returns the values of every attribute of type typ.
func attrStrings(p *radius.Packet, typ radius.Type) []string {
	var out []string
	for _, v := range values(p.Attributes, typ) {
		out = append(out, string(v))
	}
	return out
}
