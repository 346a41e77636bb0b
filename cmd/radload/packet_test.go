package main

import (
	"bytes"
	"crypto/hmac"
	"crypto/md5"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"testing"

	"layeh.com/radius"
)

// The helpers below build packets byte by byte, independently of packet.go.

// rawAttr encodes one attribute.
func rawAttr(typ byte, value []byte) []byte {
	return append([]byte{typ, byte(2 + len(value))}, value...)
}

// rawPacket assembles a packet from its header fields and attributes.
func rawPacket(code, id byte, auth []byte, attrs ...[]byte) []byte {
	body := bytes.Join(attrs, nil)
	b := make([]byte, 4, 20+len(body))
	b[0], b[1] = code, id
	binary.BigEndian.PutUint16(b[2:], uint16(20+len(body)))
	b = append(b, auth...)
	return append(b, body...)
}

// testSignedResponse builds a reply to a request with authenticator reqAuth:
// Message-Authenticator first (RFC 3579: HMAC-MD5 over the reply holding the
// Request Authenticator and a zeroed M-A), then the Response Authenticator
// MD5(Code+ID+Length+RequestAuth+Attributes+Secret) (RFC 2865 §3).
func testSignedResponse(code, id byte, reqAuth, secret []byte, attrs ...[]byte) []byte {
	all := append([][]byte{rawAttr(typeMessageAuthenticator, make([]byte, 16))}, attrs...)
	b := rawPacket(code, id, reqAuth, all...)
	mac := hmac.New(md5.New, secret)
	mac.Write(b)
	copy(b[22:38], mac.Sum(nil))
	sum := md5.Sum(append(append([]byte(nil), b...), secret...))
	copy(b[4:20], sum[:])
	return b
}

func TestRequestMessageAuthenticator(t *testing.T) {
	secret := []byte("testing123")
	auth, _ := hex.DecodeString("0f403f9473978057bd83d5cb98f4227a")
	var a [authLen]byte
	copy(a[:], auth)
	out, err := encodeRequest(radius.CodeAccessRequest, 0x2a, a, "u000001", []byte("123456"), secret)
	if err != nil {
		t.Fatal(err)
	}
	// Independent computation: zero the 16 M-A bytes, HMAC-MD5 the packet.
	zeroed := bytes.Clone(out.b)
	copy(zeroed[22:38], make([]byte, 16))
	mac := hmac.New(md5.New, secret)
	mac.Write(zeroed)
	if zeroed[20] != typeMessageAuthenticator || zeroed[21] != 18 {
		t.Fatalf("Message-Authenticator is not the first attribute: % x", out.b[20:22])
	}
	if want := mac.Sum(nil); !bytes.Equal(out.b[22:38], want) {
		t.Fatalf("M-A = %x, want %x", out.b[22:38], want)
	}
	p, err := radius.Parse(out.b, secret)
	if err != nil {
		t.Fatal(err)
	}
	pw, err := radius.UserPassword(p.Get(2), secret, auth)
	if err != nil || string(pw) != "123456" || string(p.Get(1)) != "u000001" || p.Identifier != 0x2a {
		t.Fatalf("decoded user %q password %q id %d err %v", p.Get(1), pw, p.Identifier, err)
	}
}

func TestStatusServerMessageAuthenticator(t *testing.T) {
	secret := []byte("xyzzy5461")
	auth := bytes.Repeat([]byte{0x11}, 16)
	var a [authLen]byte
	copy(a[:], auth)
	out, err := encodeRequest(radius.CodeStatusServer, 7, a, "", nil, secret)
	if err != nil {
		t.Fatal(err)
	}
	want := rawPacket(12, 7, auth, rawAttr(80, make([]byte, 16)), rawAttr(32, []byte(nasIdentifier)))
	mac := hmac.New(md5.New, secret)
	mac.Write(want)
	copy(want[22:38], mac.Sum(nil))
	if !bytes.Equal(out.b, want) {
		t.Fatalf("status-server\n got %x\nwant %x", out.b, want)
	}
}

func TestVerifyResponse(t *testing.T) {
	secret := []byte("s3cr3t")
	reqAuth := bytes.Repeat([]byte{0xab}, 16)
	var ra [authLen]byte
	copy(ra[:], reqAuth)
	good := testSignedResponse(2, 9, reqAuth, secret, rawAttr(18, []byte("welcome")))
	noMA := rawPacket(3, 9, reqAuth)
	sum := md5.Sum(append(bytes.Clone(noMA), secret...))
	copy(noMA[4:20], sum[:])
	tests := []struct {
		name    string
		resp    []byte
		secret  []byte
		wantErr error
	}{
		{"valid with M-A", good, secret, nil},
		{"valid without M-A", noMA, secret, nil},
		{"trailing bytes beyond length", append(bytes.Clone(good), 0, 0), secret, nil},
		{"wrong secret", good, []byte("other"), errResponseAuth},
		{"response authenticator flipped", flip(good, 5), secret, errResponseAuth},
		{"attribute flipped", flip(good, len(good)-1), secret, errResponseAuth},
		{"short", good[:19], secret, errShortReply},
		{"length beyond data", good[:len(good)-1], secret, errShortReply},
		{"bad attribute length", badAttrLen(good), secret, errBadAttributes},
		{"M-A wrong but response auth right", resign(flip(good, 25), secret, reqAuth), secret, errMessageAuth},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := verifyResponse(tt.resp, ra, tt.secret)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

// flip returns b with one bit of byte i inverted.
func flip(b []byte, i int) []byte {
	c := bytes.Clone(b)
	c[i] ^= 1
	return c
}

// badAttrLen returns b with its first attribute's length set to 1.
func badAttrLen(b []byte) []byte {
	c := bytes.Clone(b)
	c[21] = 1
	return c
}

// resign recomputes only the Response Authenticator of b.
func resign(b, secret, reqAuth []byte) []byte {
	c := bytes.Clone(b)
	copy(c[4:20], reqAuth)
	sum := md5.Sum(append(bytes.Clone(c), secret...))
	copy(c[4:20], sum[:])
	return c
}

func TestFindAttr(t *testing.T) {
	auth := make([]byte, 16)
	tests := []struct {
		name    string
		b       []byte
		want    int
		wantErr error
	}{
		{"first", rawPacket(1, 0, auth, rawAttr(80, make([]byte, 16))), 22, nil},
		{"second", rawPacket(1, 0, auth, rawAttr(1, []byte("bob")), rawAttr(80, make([]byte, 16))), 27, nil},
		{"absent", rawPacket(1, 0, auth, rawAttr(1, []byte("bob"))), -1, nil},
		{"no attributes", rawPacket(1, 0, auth), -1, nil},
		{"truncated header", append(rawPacket(1, 0, auth), 80), -1, errBadAttributes},
		{"overlong", append(rawPacket(1, 0, auth), 80, 18, 0), -1, errBadAttributes},
		{"zero length", append(rawPacket(1, 0, auth), 1, 0), -1, errBadAttributes},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := findAttr(tt.b, typeMessageAuthenticator)
			if got != tt.want || !errors.Is(err, tt.wantErr) {
				t.Fatalf("findAttr = %d, %v; want %d, %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
}
