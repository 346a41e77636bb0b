//go:build integration

package integration

import (
	"bytes"
	"slices"
	"testing"
	"time"
)

// TestRetransmission (RFC 5080 §2.2.2): the same packet sent again on the
// same socket gets byte-identical reply bytes and does not consume the
// code again; the same code in a new request is a replay.
func TestRetransmission(t *testing.T) {
	t.Parallel()
	alice := newUser("alice")
	s := startServer(t, options{users: []user{alice}})
	a := s.enroll(alice)
	code := a.code(t, 0)
	c := s.raw()

	req := c.signed(c.pap(42, "alice", a.password+code))
	first := c.exchange(req)
	if r := c.parse(first, req); r.code != codeAccessAccept {
		t.Fatalf("first transmission: code %d, want Access-Accept", r.code)
	}
	if again := c.exchange(req); !bytes.Equal(again, first) {
		t.Fatalf("retransmission answered with different bytes:\n%x\nwant\n%x", again, first)
	}

	replay := c.signed(c.pap(43, "alice", a.password+code))
	if r := c.parse(c.exchange(replay), replay); r.code != codeAccessReject {
		t.Fatalf("same code with a new Identifier: code %d, want Access-Reject (replay)", r.code)
	}
	if again := c.exchange(req); !bytes.Equal(again, first) {
		t.Fatalf("retransmission after the replay answered with different bytes:\n%x\nwant\n%x", again, first)
	}
}

// TestNoMessageAuthenticator: an Access-Request without a
// Message-Authenticator is dropped (BlastRADIUS), by default.
func TestNoMessageAuthenticator(t *testing.T) {
	t.Parallel()
	alice := newUser("alice")
	s := startServer(t, options{users: []user{alice}})
	r := radclient(t, s.addr, "auth", s.secret, pap("alice", alice.password), 1)
	expect(t, r, noAnswer, "")

	c := s.raw()
	c.send(c.unsigned(c.pap(9, "alice", alice.password)))
	if b, ok := c.recv(500 * time.Millisecond); ok {
		t.Fatalf("raw request without Message-Authenticator answered: %x", b)
	}
	// The same request with one is answered.
	expect(t, s.auth(pap("alice", alice.password)...), reject, msgEnroll)
}

// TestLegacyClient: with require_message_authenticator: false a request
// without a Message-Authenticator is answered, unless it carries
// Proxy-State (BlastRADIUS mitigation, PRODUCT.md §6).
func TestLegacyClient(t *testing.T) {
	t.Parallel()
	bob := newUser("bob")
	s := startServer(t, options{users: []user{bob}, noRequireMA: true})
	r := radclient(t, s.addr, "auth", s.secret, pap("bob", bob.password), 3)
	expect(t, r, reject, msgEnroll)
	proxied := append(pap("bob", bob.password), "Proxy-State = 0x01")
	expect(t, radclient(t, s.addr, "auth", s.secret, proxied, 1), noAnswer, "")
	expect(t, s.auth(proxied...), reject, msgEnroll)
}

// TestResponsesStartWithMessageAuthenticator checks Accept, Reject,
// Challenge and the Status-Server reply byte by byte: the first attribute
// is a Message-Authenticator, and it and the Response Authenticator verify.
func TestResponsesStartWithMessageAuthenticator(t *testing.T) {
	t.Parallel()
	alice := newUser("alice")
	s := startServer(t, options{mode: "auto", users: []user{alice}, maxFailures: 10})
	a := s.enroll(alice)
	wrong := a.key.wrongCodes(t, a.base, 1)[0]
	c := s.raw()
	tests := []struct {
		name string
		req  []byte
		want byte
	}{
		{"Status-Server", c.signed(c.status(1)), codeAccessAccept},
		{"Access-Accept", c.signed(c.pap(2, "alice", a.password+a.code(t, 0))), codeAccessAccept},
		{"Access-Reject", c.signed(c.pap(3, "alice", a.password+wrong)), codeAccessReject},
		{"Access-Challenge", c.signed(c.pap(4, "alice", a.password)), codeAccessChallenge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := c.with(t)
			r := c.parse(c.exchange(tt.req), tt.req)
			if r.code != tt.want {
				t.Fatalf("code %d, want %d", r.code, tt.want)
			}
			if tt.want == codeAccessChallenge && (len(r.get(attrState)) == 0 || string(r.get(attrReplyMessage)) != msgPrompt) {
				t.Errorf("Access-Challenge without State or prompt: %+v", r.attrs)
			}
		})
	}
}

// TestStatusServer: radclient's Status-Server (RFC 5997) is answered.
func TestStatusServer(t *testing.T) {
	t.Parallel()
	s := startServer(t, options{})
	r := radclient(t, s.addr, "status", s.secret, withMA(nil), 3)
	expect(t, r, accept, "")
}

// TestProxyStateEchoed: Proxy-State attributes come back in order, in an
// Accept and in a Reject.
func TestProxyStateEchoed(t *testing.T) {
	t.Parallel()
	alice := newUser("alice")
	s := startServer(t, options{users: []user{alice}})
	a := s.enroll(alice)
	proxy := []string{"Proxy-State = 0x6669727374", "Proxy-State = 0x7365636f6e64"}
	want := []string{"0x6669727374", "0x7365636f6e64"}
	for _, tt := range []struct{ name, password, code string }{
		{"accept", a.password + a.code(t, 0), accept},
		{"reject", "x" + a.password, reject},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := s.with(t).auth(append(pap("alice", tt.password), proxy...)...)
			expect(t, r, tt.code, "")
			if got := r.values("Proxy-State"); !slices.Equal(got, want) {
				t.Errorf("Proxy-State = %q, want %q in that order; %v", got, want, r)
			}
		})
	}
}

// TestUnknownClient: a request from an address that matches no client is
// dropped; the server still answers its client (127.0.0.2).
func TestUnknownClient(t *testing.T) {
	t.Parallel()
	alice := newUser("alice")
	s := startServer(t, options{users: []user{alice}, networks: []string{"127.0.0.2/32"}, readyFrom: "127.0.0.2"})
	expect(t, radclient(t, s.addr, "auth", s.secret, withMA(pap("alice", alice.password)), 1), noAnswer, "")
	r := radclient(t, s.addr, "status", s.secret, withMA(nil), 1)
	expect(t, r, noAnswer, "")

	c := s.rawFrom("127.0.0.2")
	req := c.signed(c.pap(5, "alice", alice.password))
	if r := c.parse(c.exchange(req), req); r.code != codeAccessReject {
		t.Errorf("request from the known client 127.0.0.2: code %d, want Access-Reject", r.code)
	}
}

// TestWrongSecret: a request signed with another secret is dropped.
func TestWrongSecret(t *testing.T) {
	t.Parallel()
	alice := newUser("alice")
	s := startServer(t, options{users: []user{alice}})
	const wrong = "not-the-shared-secret-9876543210"
	sensitive.remember("shared secret", wrong)
	r := radclient(t, s.addr, "auth", wrong, withMA(pap("alice", alice.password)), 1)
	expect(t, r, noAnswer, "")
	r = radclient(t, s.addr, "status", wrong, withMA(nil), 1)
	expect(t, r, noAnswer, "")
}

// TestCHAPRejected: CHAP cannot carry a code to split off, so it is
// answered with Access-Reject.
func TestCHAPRejected(t *testing.T) {
	t.Parallel()
	alice := newUser("alice")
	s := startServer(t, options{users: []user{alice}})
	a := s.enroll(alice)
	r := s.auth(str("User-Name", "alice"), str("CHAP-Password", a.password+a.code(t, 0)))
	expect(t, r, reject, "")
	if len(s.logLines(1, "chap_unsupported")) == 0 {
		t.Errorf("no log line says why CHAP was rejected:\n%s", s.log())
	}
}
