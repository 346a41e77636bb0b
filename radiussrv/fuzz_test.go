package radiussrv

import (
	"context"
	"encoding/binary"
	"testing"
	"time"

	"layeh.com/radius"
	"layeh.com/radius/rfc2865"

	"radiusd/auth"
)

// fuzzDecide accepts the test credentials, challenges "challenge" and
// rejects anything else.
func fuzzDecide(ctx context.Context, req auth.Request) (auth.Decision, error) {
	if req.Password == "challenge" {
		return auth.Decision{Result: auth.Challenge, ReplyMessage: "Enter the code", State: []byte("s")}, nil
	}
	return acceptCredentials(ctx, req)
}

// maxSizeRequest is a valid request padded with Proxy-State to exactly
// radius.MaxPacketLength bytes.
func maxSizeRequest(tb testing.TB) []byte {
	opts := validOpts()
	rem := radius.MaxPacketLength - len(buildRequest(tb, testSecret, opts...))
	for rem > 0 {
		n := min(255, rem)
		if rem-n == 1 {
			n--
		}
		opts = append(opts, withAttr(rfc2865.ProxyState_Type, make([]byte, n-2)))
		rem -= n
	}
	return buildRequest(tb, testSecret, opts...)
}

func flipBit(b []byte, bit int) []byte {
	b = append([]byte(nil), b...)
	b[bit/8] ^= 1 << (bit % 8)
	return b
}

func FuzzHandlePacket(f *testing.F) {
	valid := buildRequest(f, testSecret, validOpts()...)
	maxSize := maxSizeRequest(f)
	tooLongField := append(append([]byte(nil), maxSize...), 0)
	binary.BigEndian.PutUint16(tooLongField[2:4], 4097)
	seeds := []struct {
		raw            []byte
		resign, legacy bool
	}{
		{valid, false, false}, // valid Access-Request with Message-Authenticator: accepted
		{buildRequest(f, testSecret, withMA(), withUser("alice"), withPassword("challenge")), false, false}, // challenged
		{flipBit(valid, 0), false, false},                          // one-bit corruption of the code
		{flipBit(valid, 8), false, false},                          // of the Identifier
		{flipBit(valid, 20*8+1), false, false},                     // of the first attribute type (M-A)
		{flipBit(valid, 22*8+3), false, false},                     // of the Message-Authenticator value
		{flipBit(valid, len(valid)*8-1), false, false},             // of the User-Password
		{flipBit(valid, len(valid)*8-1), true, false},              // of the User-Password, re-signed
		{valid[:len(valid)-1], false, false},                       // truncated below its Length
		{valid[:19], false, false},                                 // 19 bytes: shorter than a header
		{valid[:20], false, false},                                 // 20 bytes: header only, Length too large
		{buildRequest(f, testSecret), false, true},                 // a 20-byte packet from a legacy client
		{maxSize, false, false},                                    // 4096 bytes, the largest packet
		{append(append([]byte(nil), maxSize...), 0), false, false}, // a 4097-byte datagram
		{tooLongField, true, false},                                // Length field 4097
		{buildRequest(f, testSecret, withCode(radius.CodeStatusServer), withMA()), false, false},                                        // Status-Server
		{buildRequest(f, testSecret, withMA(), withUser("alice"), withAttr(rfc2865.CHAPPassword_Type, make([]byte, 17))), false, false}, // CHAP
		{buildRequest(f, testSecret, withUser("alice"), withPassword(testPass+testCode)), false, true},                                  // legacy client, no M-A
		{buildRequest(f, testSecret, withMA(), withUser("alice"), withPassword("pw\x00x")), false, false},                               // NUL in password
	}
	for _, s := range seeds {
		f.Add(s.raw, s.resign, s.legacy)
	}
	f.Fuzz(func(t *testing.T, raw []byte, sign, legacy bool) {
		if sign {
			raw = append([]byte(nil), raw...)
			resign(raw, []byte(testSecret)) // reach past the Message-Authenticator check
		}
		from := testRemote
		if legacy {
			from = legacyRemote
		}
		fake := &fakeAuth{decide: fuzzDecide}
		s, _, _ := newTestServer(t, Options{DuplicateEntries: 16, RequestTimeout: time.Second}, fake)
		reply := s.HandlePacket(t.Context(), raw, from)
		if reply == nil {
			return
		}
		if msg := replyError(reply, raw, []byte(testSecret)); msg != "" {
			t.Fatalf("reply: %s", msg)
		}
		if radius.Code(reply[0]) == radius.CodeAccessAccept && fake.acceptCount() == 0 &&
			radius.Code(raw[0]) != radius.CodeStatusServer {
			t.Fatal("Access-Accept without an accepting decision")
		}
		if again := s.HandlePacket(t.Context(), raw, from); again == nil {
			t.Fatal("retransmission of an answered request dropped")
		}
	})
}
