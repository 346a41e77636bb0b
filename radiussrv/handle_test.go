package radiussrv

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"layeh.com/radius"
	"layeh.com/radius/rfc2865"
	"layeh.com/radius/rfc2869"

	"radiusd/auth"
)

var (
	legacyRemote = netip.MustParseAddrPort("198.51.100.20:1645")
	otherRemote  = netip.MustParseAddrPort("203.0.113.5:1645")
)

func TestHandlePacketDrops(t *testing.T) {
	valid := func(t *testing.T) []byte { return buildRequest(t, testSecret, validOpts()...) }
	tests := []struct {
		name string
		raw  func(t *testing.T) []byte
		from netip.AddrPort
		want string
	}{
		{"unknown client", valid, otherRemote, DropUnknownClient},
		{"wrong secret", func(t *testing.T) []byte { return buildRequest(t, otherSecret, validOpts()...) }, testRemote, DropBadAuthenticator},
		{"one bit flipped in password", func(t *testing.T) []byte {
			b := valid(t)
			b[len(b)-1] ^= 1
			return b
		}, testRemote, DropBadAuthenticator},
		{"one bit flipped in request authenticator", func(t *testing.T) []byte {
			b := valid(t)
			b[4] ^= 0x80
			return b
		}, testRemote, DropBadAuthenticator},
		{"19 bytes", func(t *testing.T) []byte { return valid(t)[:19] }, testRemote, DropMalformed},
		{"truncated below length field", func(t *testing.T) []byte { b := valid(t); return b[:len(b)-1] }, testRemote, DropMalformed},
		{"length field 19", func(t *testing.T) []byte {
			b := valid(t)
			binary.BigEndian.PutUint16(b[2:4], 19)
			return b
		}, testRemote, DropMalformed},
		{"length field 4097", func(t *testing.T) []byte {
			b := make([]byte, 4097)
			copy(b, valid(t))
			binary.BigEndian.PutUint16(b[2:4], 4097)
			return b
		}, testRemote, DropMalformed},
		{"datagram of 4097 bytes", func(t *testing.T) []byte {
			b := make([]byte, 4097)
			copy(b, valid(t))
			return b
		}, testRemote, DropMalformed},
		{"attribute length 1", func(t *testing.T) []byte {
			b := valid(t)
			b[21] = 1
			return b
		}, testRemote, DropMalformed},
		{"accounting request", func(t *testing.T) []byte {
			return buildRequest(t, testSecret, append(validOpts(), withCode(radius.CodeAccountingRequest))...)
		}, testRemote, DropUnsupportedCode},
		{"access accept sent to server", func(t *testing.T) []byte {
			return buildRequest(t, testSecret, append(validOpts(), withCode(radius.CodeAccessAccept))...)
		}, testRemote, DropUnsupportedCode},
		{"missing message-authenticator", func(t *testing.T) []byte {
			return buildRequest(t, testSecret, withUser("alice"), withPassword(testPass+testCode))
		}, testRemote, DropMissingMA},
		{"two message-authenticators", func(t *testing.T) []byte {
			return buildRequest(t, testSecret, append(validOpts(), withMA())...)
		}, testRemote, DropMalformed},
		{"message-authenticator of 15 bytes", func(t *testing.T) []byte {
			return buildRequest(t, testSecret, withAttr(rfc2869.MessageAuthenticator_Type, make([]byte, 15)), withUser("alice"), withPassword("x"))
		}, testRemote, DropMalformed},
		{"legacy client: proxy-state without message-authenticator", func(t *testing.T) []byte {
			return buildRequest(t, testSecret, withUser("alice"), withPassword("x"), withAttr(rfc2865.ProxyState_Type, []byte("p1")))
		}, legacyRemote, DropProxyStateWithoutMA},
		{"legacy client: wrong message-authenticator is still checked", func(t *testing.T) []byte {
			return buildRequest(t, otherSecret, validOpts()...)
		}, legacyRemote, DropBadAuthenticator},
		{"legacy client: status-server without message-authenticator", func(t *testing.T) []byte {
			return buildRequest(t, testSecret, withCode(radius.CodeStatusServer))
		}, legacyRemote, DropMissingMA},
		{"status-server with wrong secret", func(t *testing.T) []byte {
			return buildRequest(t, otherSecret, withCode(radius.CodeStatusServer), withMA())
		}, testRemote, DropBadAuthenticator},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := &fakeAuth{}
			s, _, _ := newTestServer(t, Options{}, fake)
			if got := s.HandlePacket(t.Context(), tt.raw(t), tt.from); got != nil {
				t.Fatalf("got a %d-byte reply, want a drop", len(got))
			}
			st := s.Stats()
			for reason, n := range st.Drops {
				want := uint64(0)
				if reason == tt.want {
					want = 1
				}
				if n != want {
					t.Errorf("Drops[%q] = %d, want %d", reason, n, want)
				}
			}
			if fake.callCount() != 0 {
				t.Errorf("Authenticator called %d times for a dropped packet", fake.callCount())
			}
		})
	}
}

func TestHandlePacketLocalRejects(t *testing.T) {
	msCHAP2 := []byte{0, 0, 1, 55, 25, 4, 0, 0} // vendor 311, MS-CHAP2-Response
	msOther := []byte{0, 0, 1, 55, 7, 6, 0, 0, 0, 1}
	tests := []struct {
		name   string
		opts   []reqOpt
		reason string
	}{
		{"chap", []reqOpt{withMA(), withUser("alice"), withAttr(rfc2865.CHAPPassword_Type, make([]byte, 17))}, reasonCHAPUnsupported},
		{"chap and pap", append(validOpts(), withAttr(rfc2865.CHAPPassword_Type, make([]byte, 17))), reasonCHAPUnsupported},
		{"ms-chapv2", []reqOpt{withMA(), withUser("alice"), withAttr(rfc2865.VendorSpecific_Type, msCHAP2)}, reasonMSCHAPUnsupported},
		{"eap", []reqOpt{withMA(), withUser("alice"), withAttr(rfc2869.EAPMessage_Type, []byte{2, 1, 0, 5, 1})}, reasonEAPUnsupported},
		{"no user-name", []reqOpt{withMA(), withPassword("pw")}, reasonBadUserName},
		{"empty user-name", []reqOpt{withMA(), withUser(""), withPassword("pw")}, reasonBadUserName},
		{"NUL in user-name", []reqOpt{withMA(), withUser("alice\x00admin"), withPassword("pw")}, reasonBadUserName},
		{"invalid UTF-8 user-name", []reqOpt{withMA(), withUser("al\xffice"), withPassword("pw")}, reasonBadUserName},
		{"two user-names", []reqOpt{withMA(), withUser("alice"), withUser("bob"), withPassword("pw")}, reasonBadUserName},
		{"no user-password", []reqOpt{withMA(), withUser("alice")}, reasonMissingPassword},
		{"NUL inside password", []reqOpt{withMA(), withUser("alice"), withPassword("pw\x00123456")}, reasonMalformedPassword},
		{"password of 17 bytes", []reqOpt{withMA(), withUser("alice"), withHiddenPassword([]byte("0123456789abcdefg"))}, reasonMalformedPassword},
		{"password of 144 bytes", []reqOpt{withMA(), withUser("alice"), withHiddenPassword(bytes.Repeat([]byte("x"), 144))}, reasonMalformedPassword},
		{"empty password attribute", []reqOpt{withMA(), withUser("alice"), withAttr(rfc2865.UserPassword_Type, nil)}, reasonMalformedPassword},
		{"all-NUL password", []reqOpt{withMA(), withUser("alice"), withPassword("")}, reasonMalformedPassword},
		{"invalid UTF-8 password", []reqOpt{withMA(), withUser("alice"), withPassword("p\xffw")}, reasonMalformedPassword},
		{"two passwords", append(validOpts(), withPassword("pw")), reasonMalformedPassword},
		{"two states", append(validOpts(), withAttr(rfc2865.State_Type, []byte("a")), withAttr(rfc2865.State_Type, []byte("b"))), reasonBadState},
		{"other microsoft attribute is fine", append(validOpts(), withAttr(rfc2865.VendorSpecific_Type, msOther)), "ok"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := &fakeAuth{}
			s, logs, _ := newTestServer(t, Options{}, fake)
			req := buildRequest(t, testSecret, tt.opts...)
			p := checkReply(t, s.HandlePacket(t.Context(), req, testRemote), req, testSecret)
			if tt.reason == "ok" {
				if p.Code != radius.CodeAccessAccept || fake.callCount() != 1 {
					t.Fatalf("code %v, %d calls; want Access-Accept after one call", p.Code, fake.callCount())
				}
				return
			}
			if p.Code != radius.CodeAccessReject {
				t.Fatalf("code %v, want Access-Reject", p.Code)
			}
			if fake.callCount() != 0 {
				t.Errorf("Authenticator called for a request rejected locally")
			}
			if !strings.Contains(logs.String(), `"reason":"`+tt.reason+`"`) {
				t.Errorf("log lacks reason %q:\n%s", tt.reason, logs)
			}
			if s.Stats().Requests["reject"] != 1 {
				t.Errorf("Requests = %v, want one reject", s.Stats().Requests)
			}
		})
	}
}

func TestUnsupportedMethodLogsWarning(t *testing.T) {
	s, logs, _ := newTestServer(t, Options{}, &fakeAuth{})
	req := buildRequest(t, testSecret, withMA(), withUser("alice"), withAttr(rfc2865.CHAPPassword_Type, make([]byte, 17)))
	s.HandlePacket(t.Context(), req, testRemote)
	if !strings.Contains(logs.String(), `"level":"WARN","msg":"radius authentication method not supported","component":"radiussrv","reason":"chap_unsupported","user":"alice"`) {
		t.Errorf("no warning naming chap_unsupported:\n%s", logs)
	}
}

func TestPasswordDecoding(t *testing.T) {
	tests := []struct {
		name string
		opt  reqOpt
		want string
	}{
		{"padded", withPassword("pw"), "pw"},
		{"exactly 16 bytes, no padding", withHiddenPassword([]byte("0123456789abcdef")), "0123456789abcdef"},
		{"128 bytes", withPassword(strings.Repeat("p", 128)), strings.Repeat("p", 128)},
		{"non-ASCII", withPassword("päss✓770913"), "päss✓770913"},
		{"17 bytes padded to 32", withPassword("0123456789abcdefg"), "0123456789abcdefg"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := &fakeAuth{}
			s, _, _ := newTestServer(t, Options{}, fake)
			req := buildRequest(t, testSecret, withMA(), withUser("alice"), tt.opt)
			checkReply(t, s.HandlePacket(t.Context(), req, testRemote), req, testSecret)
			if got := fake.lastCall(t).Password; got != tt.want {
				t.Errorf("password %q, want %q", got, tt.want)
			}
		})
	}
}

func TestHandlePacketDecisions(t *testing.T) {
	tests := []struct {
		name     string
		decide   func(context.Context, auth.Request) (auth.Decision, error)
		wantCode radius.Code
		wantMsg  []string
		wantSt   []string
		reason   string
	}{
		{"accept", acceptCredentials, radius.CodeAccessAccept, []string{"Welcome"}, nil, "ok"},
		{"reject", func(context.Context, auth.Request) (auth.Decision, error) {
			return auth.Decision{Result: auth.Reject, Reason: "bad_code", ReplyMessage: "Access denied"}, nil
		}, radius.CodeAccessReject, []string{"Access denied"}, nil, "bad_code"},
		{"challenge", func(context.Context, auth.Request) (auth.Decision, error) {
			return auth.Decision{Result: auth.Challenge, Reason: "need_code", ReplyMessage: "Enter the code", State: []byte("st-1")}, nil
		}, radius.CodeAccessChallenge, []string{"Enter the code"}, []string{"st-1"}, "need_code"},
		{"challenge without state fails closed", func(context.Context, auth.Request) (auth.Decision, error) {
			return auth.Decision{Result: auth.Challenge, ReplyMessage: "Enter the code"}, nil
		}, radius.CodeAccessReject, nil, nil, reasonChallengeState},
		{"accept with error fails closed", func(context.Context, auth.Request) (auth.Decision, error) {
			return auth.Decision{Result: auth.Accept}, errors.New("store: down")
		}, radius.CodeAccessReject, nil, nil, reasonInternalError},
		{"unknown result fails closed", func(context.Context, auth.Request) (auth.Decision, error) {
			return auth.Decision{Result: auth.Result(42)}, nil
		}, radius.CodeAccessReject, nil, nil, ""},
		{"deadline fails closed", func(ctx context.Context, _ auth.Request) (auth.Decision, error) {
			<-ctx.Done()
			return auth.Decision{Result: auth.Accept}, nil
		}, radius.CodeAccessReject, nil, nil, reasonTimeout},
		{"long reply-message is split", func(context.Context, auth.Request) (auth.Decision, error) {
			return auth.Decision{Result: auth.Reject, ReplyMessage: strings.Repeat("é", 200)}, nil
		}, radius.CodeAccessReject, []string{strings.Repeat("é", 126), strings.Repeat("é", 74)}, nil, ""},
		{"oversized reply fails closed", func(context.Context, auth.Request) (auth.Decision, error) {
			return auth.Decision{Result: auth.Accept, ReplyMessage: strings.Repeat("m", 5000)}, nil
		}, radius.CodeAccessReject, nil, nil, reasonEncodeFailed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := &fakeAuth{decide: tt.decide}
			s, logs, _ := newTestServer(t, Options{RequestTimeout: 20 * time.Millisecond}, fake)
			req := buildRequest(t, testSecret, append(validOpts(),
				withAttr(rfc2865.ProxyState_Type, []byte("first")), withAttr(rfc2865.ProxyState_Type, []byte("second")))...)
			p := checkReply(t, s.HandlePacket(t.Context(), req, testRemote), req, testSecret)
			if p.Code != tt.wantCode {
				t.Fatalf("code %v, want %v", p.Code, tt.wantCode)
			}
			if got := attrStrings(p, rfc2865.ReplyMessage_Type); !slices.Equal(got, tt.wantMsg) {
				t.Errorf("Reply-Message %q, want %q", got, tt.wantMsg)
			}
			if got := attrStrings(p, rfc2865.State_Type); !slices.Equal(got, tt.wantSt) {
				t.Errorf("State %q, want %q", got, tt.wantSt)
			}
			n := len(p.Attributes)
			if n < 3 || string(p.Attributes[n-2].Attribute) != "first" || string(p.Attributes[n-1].Attribute) != "second" {
				t.Errorf("Proxy-State not echoed in order at the end: %v", p.Attributes)
			}
			if !strings.Contains(logs.String(), `"reason":"`+tt.reason+`"`) {
				t.Errorf("log lacks reason %q:\n%s", tt.reason, logs)
			}
		})
	}
}

func TestRequestPassedToAuthenticator(t *testing.T) {
	fake := &fakeAuth{}
	s, _, _ := newTestServer(t, Options{}, fake)
	req := buildRequest(t, testSecret, withUser("Alice"), withPassword("pw"), withAttr(rfc2865.State_Type, []byte{0, 1, 2}))
	from := netip.MustParseAddrPort("[::ffff:198.51.100.7]:3000") // legacy client, IPv4-mapped, no M-A needed
	checkReply(t, s.HandlePacket(t.Context(), req, from), req, testSecret)
	got := fake.lastCall(t)
	want := auth.Request{
		Client: "legacy", Mode: auth.ModeChallenge, Username: "Alice", Password: "pw",
		State: []byte{0, 1, 2}, Remote: netip.MustParseAddrPort("198.51.100.7:3000"),
	}
	if got.Client != want.Client || got.Mode != want.Mode || got.Username != want.Username ||
		got.Password != want.Password || !bytes.Equal(got.State, want.State) || got.Remote != want.Remote {
		t.Errorf("request %+v, want %+v", got, want)
	}
}

func TestStatusServer(t *testing.T) {
	fake := &fakeAuth{}
	s, _, _ := newTestServer(t, Options{}, fake)
	req := buildRequest(t, testSecret, withCode(radius.CodeStatusServer), withMA())
	for i := range 2 { // not subject to duplicate detection
		p := checkReply(t, s.HandlePacket(t.Context(), req, testRemote), req, testSecret)
		if p.Code != radius.CodeAccessAccept {
			t.Fatalf("answer %d: code %v, want Access-Accept", i, p.Code)
		}
	}
	st := s.Stats()
	if st.StatusServer != 2 || st.DuplicatesAnswered != 0 || fake.callCount() != 0 {
		t.Errorf("stats %+v, %d calls; want 2 status-server answers and no call", st, fake.callCount())
	}
}

func TestLegacyClientWithoutMessageAuthenticator(t *testing.T) {
	s, _, _ := newTestServer(t, Options{}, &fakeAuth{})
	req := buildRequest(t, testSecret, withUser("alice"), withPassword(testPass+testCode))
	p := checkReply(t, s.HandlePacket(t.Context(), req, legacyRemote), req, testSecret)
	if p.Code != radius.CodeAccessAccept {
		t.Fatalf("code %v, want Access-Accept", p.Code)
	}
}

func TestTrailingPaddingIgnored(t *testing.T) {
	s, _, _ := newTestServer(t, Options{}, &fakeAuth{})
	req := buildRequest(t, testSecret, validOpts()...)
	padded := append(append([]byte(nil), req...), 0xde, 0xad) // RFC 2865 §3: octets past Length are padding
	p := checkReply(t, s.HandlePacket(t.Context(), padded, testRemote), req, testSecret)
	if p.Code != radius.CodeAccessAccept {
		t.Fatalf("code %v, want Access-Accept", p.Code)
	}
}

func TestLargestPacket(t *testing.T) {
	s, _, _ := newTestServer(t, Options{}, &fakeAuth{})
	req := maxSizeRequest(t)
	if len(req) != radius.MaxPacketLength {
		t.Fatalf("request of %d bytes, want %d", len(req), radius.MaxPacketLength)
	}
	p := checkReply(t, s.HandlePacket(t.Context(), req, testRemote), req, testSecret)
	if p.Code != radius.CodeAccessAccept || len(values(p.Attributes, rfc2865.ProxyState_Type)) != 16 {
		t.Fatalf("code %v with %d Proxy-State, want Access-Accept echoing 16", p.Code, len(values(p.Attributes, rfc2865.ProxyState_Type)))
	}
}
