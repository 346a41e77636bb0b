//go:build integration

package integration

import (
	"bytes"
	"crypto/hmac"
	"crypto/md5"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"layeh.com/radius"
	"layeh.com/radius/rfc2865"
	"layeh.com/radius/rfc2869"
)

// RADIUS codes and attribute types the tests look at (RFC 2865, 2869, 5997).
const (
	codeAccessRequest   = 1
	codeAccessAccept    = 2
	codeAccessReject    = 3
	codeAccessChallenge = 11
	codeStatusServer    = 12

	attrReplyMessage         = 18
	attrState                = 24
	attrProxyState           = 33
	attrMessageAuthenticator = 80
)

// ---- radclient ----

// attr is one attribute as radclient -x prints it (strings unquoted,
// octets as 0x…).
type attr struct{ name, value string }

// reply is radclient's view of the response.
type reply struct {
	code  string // "Access-Accept", "Access-Reject", "Access-Challenge", or "" for no answer
	attrs []attr
	out   string // radclient's output, for failure messages
}

// get returns the first value of the named attribute, or "".
func (r reply) get(name string) string {
	if v := r.values(name); len(v) > 0 {
		return v[0]
	}
	return ""
}

// values returns every value of the named attribute, in order.
func (r reply) values(name string) []string {
	var vs []string
	for _, a := range r.attrs {
		if a.name == name {
			vs = append(vs, a.value)
		}
	}
	return vs
}

func (r reply) String() string {
	return fmt.Sprintf("code=%q attrs=%v\nradclient output:\n%s", r.code, r.attrs, r.out)
}

// str renders a radclient input line with a quoted string value.
func str(name, value string) string {
	v := strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(value)
	return fmt.Sprintf(`%s = "%s"`, name, v)
}

// pap returns the User-Name and User-Password lines of a PAP request.
func pap(name, password string) []string {
	return []string{str("User-Name", name), str("User-Password", password)}
}

// withMA appends "Message-Authenticator = 0x00", which makes Debian's
// radclient 3.2 add a real Message-Authenticator.
func withMA(lines []string) []string {
	return append(append([]string(nil), lines...), "Message-Authenticator = 0x00")
}

// auth sends one Access-Request with a Message-Authenticator to s.
func (s *server) auth(lines ...string) reply {
	s.t.Helper()
	return radclient(s.t, s.addr, "auth", s.secret, withMA(lines), 3)
}

// radclient runs "radclient -x -t timeout -r 1 addr kind secret" with the
// input lines and parses the response it prints.
func radclient(t *testing.T, addr, kind, secret string, lines []string, timeout int) reply {
	t.Helper()
	requireTool(t, "radclient")
	cmd := exec.Command("radclient", "-x", "-t", strconv.Itoa(timeout), "-r", "1", addr, kind, secret)
	res := runCommand(t, cmd, strings.Join(lines, "\n")+"\n")
	r := parseRadclient(res.stdout + res.stderr)
	if r.code == "" && !strings.Contains(r.out, "No reply") {
		t.Fatalf("radclient failed (exit %d):\n%s", res.code, r.out)
	}
	if r.code != "" && (len(r.attrs) == 0 || r.attrs[0].name != "Message-Authenticator") {
		t.Errorf("the first attribute of the %s is not a Message-Authenticator; %v", r.code, r)
	}
	return r
}

// parseRadclient reads the "Received …" block of radclient -x output.
func parseRadclient(out string) reply {
	r := reply{out: out}
	inReply := false
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "Received ") {
			r.code, inReply = strings.Fields(line)[1], true
			continue
		}
		if !inReply || !strings.HasPrefix(line, "\t") {
			inReply = false
			continue
		}
		name, value, ok := strings.Cut(strings.TrimSpace(line), " = ")
		if !ok {
			continue
		}
		if uq, err := strconv.Unquote(value); err == nil {
			value = uq
		}
		r.attrs = append(r.attrs, attr{name: name, value: value})
	}
	return r
}

// ---- raw packets ----

// rawClient is one UDP socket to a server, for hand-made packets.
type rawClient struct {
	t      *testing.T
	conn   *net.UDPConn
	secret string
}

// raw opens a UDP socket to s; cleanup closes it.
func (s *server) raw() *rawClient {
	s.t.Helper()
	return s.rawFrom("127.0.0.1")
}

// rawFrom opens a UDP socket to s from the loopback address from.
func (s *server) rawFrom(from string) *rawClient {
	s.t.Helper()
	ua, err := net.ResolveUDPAddr("udp", s.addr)
	if err != nil {
		s.t.Fatal(err)
	}
	conn, err := net.DialUDP("udp", &net.UDPAddr{IP: net.ParseIP(from)}, ua)
	if err != nil {
		s.t.Fatal(err)
	}
	s.t.Cleanup(func() { conn.Close() })
	return &rawClient{t: s.t, conn: conn, secret: s.secret}
}

// send writes one datagram.
func (c *rawClient) send(b []byte) {
	c.t.Helper()
	if _, err := c.conn.Write(b); err != nil {
		c.t.Fatal(err)
	}
}

// recv waits up to wait for one datagram; ok is false on timeout.
func (c *rawClient) recv(wait time.Duration) ([]byte, bool) {
	c.t.Helper()
	buf := make([]byte, 8192)
	c.conn.SetReadDeadline(time.Now().Add(wait))
	n, err := c.conn.Read(buf)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return nil, false
	}
	if err != nil {
		c.t.Fatal(err)
	}
	return buf[:n], true
}

// exchange sends b and returns the answer, failing the test without one.
func (c *rawClient) exchange(b []byte) []byte {
	c.t.Helper()
	c.send(b)
	resp, ok := c.recv(3 * time.Second)
	if !ok {
		c.t.Fatalf("no answer within 3s to a packet with Identifier %d", b[1])
	}
	return resp
}

// with returns c reporting failures on t (a subtest).
func (c *rawClient) with(t *testing.T) *rawClient {
	d := *c
	d.t = t
	return &d
}

// pap builds an Access-Request with a random authenticator.
func (c *rawClient) pap(id byte, name, password string) *radius.Packet {
	p := radius.New(radius.CodeAccessRequest, []byte(c.secret))
	p.Identifier = id
	rfc2865.UserName_Set(p, []byte(name))
	rfc2865.UserPassword_Set(p, []byte(password))
	return p
}

// status builds a Status-Server request (RFC 5997).
func (c *rawClient) status(id byte) *radius.Packet {
	p := radius.New(radius.CodeStatusServer, []byte(c.secret))
	p.Identifier = id
	return p
}

// signed encodes p with a Message-Authenticator as its last attribute,
// computed over the packet with the secret (RFC 3579 §3.2).
func (c *rawClient) signed(p *radius.Packet) []byte {
	c.t.Helper()
	p.Add(rfc2869.MessageAuthenticator_Type, make([]byte, 16))
	b, err := p.Encode()
	if err != nil {
		c.t.Fatal(err)
	}
	mac := hmac.New(md5.New, p.Secret)
	mac.Write(b)
	copy(b[len(b)-16:], mac.Sum(nil))
	return b
}

// unsigned encodes p as it is.
func (c *rawClient) unsigned(p *radius.Packet) []byte {
	c.t.Helper()
	b, err := p.Encode()
	if err != nil {
		c.t.Fatal(err)
	}
	return b
}

// rawAttr is one attribute of a parsed response.
type rawAttr struct {
	typ   byte
	value []byte
}

// response is a parsed and verified response packet.
type response struct {
	code  byte
	id    byte
	attrs []rawAttr
}

// get returns the first value of attribute typ, or nil.
func (r response) get(typ byte) []byte {
	for _, a := range r.attrs {
		if a.typ == typ {
			return a.value
		}
	}
	return nil
}

// parse parses b as the response to req and fails the test unless it is
// well formed, its Response Authenticator verifies and its first attribute
// is a Message-Authenticator that verifies.
func (c *rawClient) parse(b, req []byte) response {
	c.t.Helper()
	r, err := parseResponse(b, req, []byte(c.secret))
	if err != nil {
		c.t.Fatalf("response to Identifier %d: %v", req[1], err)
	}
	return r
}

// parseResponse does the checks of rawClient.parse by hand, without layeh.
func parseResponse(b, req, secret []byte) (response, error) {
	if len(b) < 20 || int(binary.BigEndian.Uint16(b[2:4])) != len(b) {
		return response{}, fmt.Errorf("malformed: %d bytes", len(b))
	}
	r := response{code: b[0], id: b[1]}
	if r.id != req[1] {
		return r, fmt.Errorf("identifier %d, want %d", r.id, req[1])
	}
	for rest := b[20:]; len(rest) > 0; {
		if len(rest) < 2 || rest[1] < 2 || int(rest[1]) > len(rest) {
			return r, errors.New("malformed attributes")
		}
		r.attrs = append(r.attrs, rawAttr{typ: rest[0], value: rest[2:rest[1]]})
		rest = rest[rest[1]:]
	}
	h := md5.New()
	h.Write(b[:4])
	h.Write(req[4:20])
	h.Write(b[20:])
	h.Write(secret)
	if !bytes.Equal(h.Sum(nil), b[4:20]) {
		return r, errors.New("response authenticator does not verify")
	}
	return r, checkMessageAuthenticator(b, req, secret)
}

// checkMessageAuthenticator checks that the first attribute of response b
// is a Message-Authenticator and that it verifies: HMAC-MD5 over the
// packet with the Request Authenticator in place of the Response
// Authenticator and the attribute's value zeroed (RFC 3579 §3.2).
func checkMessageAuthenticator(b, req, secret []byte) error {
	if len(b) < 38 || b[20] != attrMessageAuthenticator || b[21] != 18 {
		return errors.New("first attribute is not a Message-Authenticator")
	}
	c := append([]byte(nil), b...)
	copy(c[4:20], req[4:20])
	clear(c[22:38])
	mac := hmac.New(md5.New, secret)
	mac.Write(c)
	if !hmac.Equal(mac.Sum(nil), b[22:38]) {
		return errors.New("Message-Authenticator does not verify")
	}
	return nil
}

// statusOK reports whether s answers a signed Status-Server, sent from
// opts.readyFrom, with a verified Access-Accept within 300 ms.
func (s *server) statusOK() bool {
	ua, err := net.ResolveUDPAddr("udp", s.addr)
	if err != nil {
		return false
	}
	from := &net.UDPAddr{IP: net.ParseIP(or(s.opts.readyFrom, "127.0.0.1"))}
	conn, err := net.DialUDP("udp", from, ua)
	if err != nil {
		return false
	}
	defer conn.Close()
	c := &rawClient{t: s.t, secret: s.secret}
	req := c.signed(c.status(1))
	if _, err := conn.Write(req); err != nil {
		return false
	}
	buf := make([]byte, 4096)
	conn.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	n, err := conn.Read(buf)
	if err != nil {
		return false
	}
	r, err := parseResponse(buf[:n], req, []byte(s.secret))
	return err == nil && r.code == codeAccessAccept
}

// rawRequest is an Access-Request assembled byte by byte, so that it can
// be malformed on purpose; bytes puts a Message-Authenticator first and
// signs the result whatever the attributes hold.
type rawRequest struct {
	id     byte
	auth   []byte
	secret []byte
	attrs  [][]byte
}

// request starts a hand-made Access-Request with a random authenticator.
func (c *rawClient) request(id byte) *rawRequest {
	p := radius.New(radius.CodeAccessRequest, []byte(c.secret))
	return &rawRequest{id: id, auth: p.Authenticator[:], secret: p.Secret}
}

// add appends an attribute with a correct length byte.
func (r *rawRequest) add(typ byte, value []byte) *rawRequest {
	return r.addRaw(append([]byte{typ, byte(len(value) + 2)}, value...))
}

// addRaw appends bytes as they are, e.g. an attribute with a wrong length.
func (r *rawRequest) addRaw(b []byte) *rawRequest {
	r.attrs = append(r.attrs, b)
	return r
}

// password appends a User-Password hidden with the shared secret.
func (r *rawRequest) password(t *testing.T, pw string) *rawRequest {
	t.Helper()
	enc, err := radius.NewUserPassword([]byte(pw), r.secret, r.auth)
	if err != nil {
		t.Fatal(err)
	}
	return r.add(byte(rfc2865.UserPassword_Type), enc)
}

// bytes returns the signed packet; its Length field is the real length.
func (r *rawRequest) bytes() []byte {
	b := append([]byte{codeAccessRequest, r.id, 0, 0}, r.auth...)
	b = append(b, attrMessageAuthenticator, 18)
	b = append(b, make([]byte, 16)...)
	for _, a := range r.attrs {
		b = append(b, a...)
	}
	binary.BigEndian.PutUint16(b[2:4], uint16(len(b)))
	mac := hmac.New(md5.New, r.secret)
	mac.Write(b)
	copy(b[22:38], mac.Sum(nil))
	return b
}
