//go:build integration

package integration

import (
	"bytes"
	"encoding/binary"
	"testing"
	"time"
)

const attrUserName = 1

// TestBadPackets sends malformed, truncated and oversized packets and
// hostile user names: each is dropped or rejected, never accepted, and the
// server still answers a valid request afterwards.
func TestBadPackets(t *testing.T) {
	t.Parallel()
	alice := newUser("alice")
	s := startServer(t, options{users: []user{alice}, maxFailures: 50})
	a := s.enroll(alice)
	good := a.password + a.code(t, 0)
	c := s.raw()
	for _, tt := range badPackets(t, c, good) {
		t.Run(tt.name, func(t *testing.T) {
			c := c.with(t)
			c.send(tt.b)
			resp, ok := c.recv(300 * time.Millisecond)
			switch {
			case ok && len(resp) > 0 && resp[0] == codeAccessAccept:
				t.Fatalf("answered with Access-Accept: %x", resp)
			case ok:
				t.Logf("answered with code %d", resp[0])
			default:
				t.Log("dropped")
			}
		})
	}
	if !s.statusOK() {
		t.Fatalf("no answer to Status-Server after the bad packets; log:\n%s", s.log())
	}
	fresh := s.raw()
	req := fresh.signed(fresh.pap(200, "alice", a.password+a.code(t, 1)))
	if r := fresh.parse(fresh.exchange(req), req); r.code != codeAccessAccept {
		t.Fatalf("valid request after the bad packets: code %d, want Access-Accept", r.code)
	}
}

type badPacket struct {
	name string
	b    []byte
}

// badPackets returns the hostile datagrams; password is alice's password
// with a valid code, so that only the damage can explain a Reject.
func badPackets(t *testing.T, c *rawClient, password string) []badPacket {
	valid := func(id byte) *rawRequest {
		return c.request(id).add(attrUserName, []byte("alice")).password(t, password)
	}
	base := valid(1).bytes()
	withLength := func(n int, pad int) []byte {
		b := append(append([]byte(nil), base...), make([]byte, pad)...)
		binary.BigEndian.PutUint16(b[2:4], uint16(n))
		return b
	}
	return []badPacket{
		{"empty datagram", nil},
		{"one byte", []byte{codeAccessRequest}},
		{"19 bytes", base[:19]},
		{"header only", withLength(20, 0)[:20]},
		{"truncated", base[:len(base)-5]},
		{"length below 20", withLength(19, 0)},
		{"length above the datagram", withLength(len(base)+40, 0)},
		{"length above 4096", withLength(5000, 5000-len(base))},
		{"datagram of 4097 bytes", withLength(4097, 4097-len(base))},
		{"unknown code", append([]byte{99}, base[1:]...)},
		{"attribute length 0", valid(2).addRaw([]byte{attrUserName, 0}).bytes()},
		{"attribute length 1", valid(3).addRaw([]byte{attrUserName, 1}).bytes()},
		{"attribute longer than the packet", valid(4).addRaw([]byte{26, 255, 0, 0, 0, 9, 1, 2, 3}).bytes()},
		{"user name of 253 bytes", c.request(5).add(attrUserName, bytes.Repeat([]byte("a"), 253)).password(t, password).bytes()},
		{"two user names", valid(6).add(attrUserName, []byte("bob")).bytes()},
		{"no user name", c.request(7).password(t, password).bytes()},
		{"NUL after the user name", hostile(t, c, 8, "alice\x00", password)},
		{"NUL inside the user name", hostile(t, c, 9, "al\x00ice", password)},
		{"NUL before the user name", hostile(t, c, 10, "\x00alice", password)},
		{"invalid UTF-8 after the user name", hostile(t, c, 11, "alice\xff", password)},
		{"invalid UTF-8 inside the user name", hostile(t, c, 12, "al\xc3\x28ice", password)},
		{"overlong UTF-8 slash", hostile(t, c, 13, "EXAMPLE\xc0\xafalice", password)},
		{"NUL in the password", hostile(t, c, 14, "alice", password[:3]+"\x00"+password[3:])},
	}
}

// hostile returns a signed request for name with alice's credentials.
func hostile(t *testing.T, c *rawClient, id byte, name, password string) []byte {
	return c.request(id).add(attrUserName, []byte(name)).password(t, password).bytes()
}
