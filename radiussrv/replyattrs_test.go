package radiussrv

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"layeh.com/radius"
	"layeh.com/radius/rfc2865"

	"radiusd/auth"
)

func TestGroupReplyAttributes(t *testing.T) {
	vpn := testClient("vpn", "192.0.2.0/24", testSecret)
	vpn.Replies = []GroupReply{
		{Group: "VPN-Admins", Attributes: []Attribute{
			{Type: 25, Value: []byte("OU=AdminPolicy;")},
			{VendorID: 3076, Type: 25, Value: []byte("AdminPolicy")},
		}},
		{Group: "vpn-users", Attributes: []Attribute{{VendorID: 12356, Type: 1, Value: []byte("fw")}}},
		{Group: "other", Attributes: []Attribute{{Type: 11, Value: []byte("never")}}},
	}
	tests := []struct {
		name   string
		result auth.Result
		groups []string
		want   [][]byte // raw attributes after Message-Authenticator and Reply-Message
	}{
		{"member of two groups, rules in configured order", auth.Accept, []string{"vpn-users", "vpn-admins"}, [][]byte{
			append([]byte{25, 17}, "OU=AdminPolicy;"...),
			append([]byte{26, 19, 0, 0, 0x0c, 0x04, 25, 13}, "AdminPolicy"...),
			append([]byte{26, 10, 0, 0, 0x30, 0x44, 1, 4}, "fw"...),
		}},
		{"no matching group", auth.Accept, []string{"staff"}, nil},
		{"reject carries none", auth.Reject, []string{"vpn-admins"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := &fakeAuth{decide: func(context.Context, auth.Request) (auth.Decision, error) {
				return auth.Decision{Result: tt.result, Groups: tt.groups, ReplyMessage: "m"}, nil
			}}
			s, _, _ := newTestServer(t, Options{Clients: []Client{vpn}}, fake)
			req := buildRequest(t, testSecret, validOpts()...)
			out := s.HandlePacket(t.Context(), req, testRemote)
			checkReply(t, out, req, testSecret)
			got := rawAttributes(out)[2:] // Message-Authenticator, Reply-Message
			if len(got) != len(tt.want) {
				t.Fatalf("%d attributes %x, want %d", len(got), got, len(tt.want))
			}
			for i := range got {
				if !bytes.Equal(got[i], tt.want[i]) {
					t.Errorf("attribute %d = %x, want %x", i, got[i], tt.want[i])
				}
			}
		})
	}
}

// rawAttributes splits an encoded packet into its attributes, headers
// included, without layeh's decoding.
func rawAttributes(b []byte) [][]byte {
	var out [][]byte
	for rest := b[20:]; len(rest) >= 2 && int(rest[1]) <= len(rest); rest = rest[rest[1]:] {
		out = append(out, rest[:rest[1]])
	}
	return out
}

func TestGroupReplyRefused(t *testing.T) {
	tests := []struct {
		name string
		attr Attribute
	}{
		{"empty value", Attribute{Type: 25}},
		{"own attribute", Attribute{Type: byte(rfc2865.State_Type), Value: []byte("x")}},
		{"type zero", Attribute{Value: []byte("x")}},
		{"standard too long", Attribute{Type: 25, Value: bytes.Repeat([]byte("x"), 254)}},
		{"vendor too long", Attribute{VendorID: 9, Type: 1, Value: bytes.Repeat([]byte("x"), 248)}},
		{"vendor id too large", Attribute{VendorID: 1 << 24, Type: 1, Value: []byte("x")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := testClient("vpn", "192.0.2.0/24", testSecret)
			c.Replies = []GroupReply{{Group: "g", Attributes: []Attribute{tt.attr}}}
			if _, err := New(Options{Clients: []Client{c}}, &fakeAuth{}, nil); !errors.Is(err, ErrInvalidOptions) {
				t.Fatalf("New = %v, want ErrInvalidOptions", err)
			}
		})
	}
}

func TestGroupRepliesTooLargeFailClosed(t *testing.T) {
	c := testClient("vpn", "192.0.2.0/24", testSecret)
	var attrs []Attribute
	for range 20 {
		attrs = append(attrs, Attribute{Type: 25, Value: bytes.Repeat([]byte("x"), 253)})
	}
	c.Replies = []GroupReply{{Group: "g", Attributes: attrs}}
	fake := &fakeAuth{decide: func(context.Context, auth.Request) (auth.Decision, error) {
		return auth.Decision{Result: auth.Accept, Groups: []string{"g"}}, nil
	}}
	s, _, _ := newTestServer(t, Options{Clients: []Client{c}}, fake)
	req := buildRequest(t, testSecret, validOpts()...)
	if p := checkReply(t, s.HandlePacket(t.Context(), req, testRemote), req, testSecret); p.Code != radius.CodeAccessReject {
		t.Fatalf("code %v, want Access-Reject for a reply over 4096 bytes", p.Code)
	}
}

// countingObserver records what a Server reports.
type countingObserver struct {
	mu        sync.Mutex
	decisions []string
	drops     []string
	dups      int
}

func (o *countingObserver) Decision(client string, mode auth.Mode, result auth.Result, reason string, _ time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.decisions = append(o.decisions, client+"/"+string(mode)+"/"+result.String()+"/"+reason)
}
func (o *countingObserver) Drop(reason string) {
	o.mu.Lock()
	o.drops = append(o.drops, reason)
	o.mu.Unlock()
}
func (o *countingObserver) Duplicate()    { o.mu.Lock(); o.dups++; o.mu.Unlock() }
func (o *countingObserver) StatusServer() {}

func TestObserver(t *testing.T) {
	obs := &countingObserver{}
	s, _, _ := newTestServer(t, Options{Observer: obs}, &fakeAuth{})
	req := buildRequest(t, testSecret, validOpts()...)
	s.HandlePacket(t.Context(), req, testRemote)
	s.HandlePacket(t.Context(), req, testRemote) // retransmission: from the cache
	s.HandlePacket(t.Context(), buildRequest(t, otherSecret, validOpts()...), testRemote)
	want := []string{"vpn/password+otp/accept/ok"}
	if !slices.Equal(obs.decisions, want) || obs.dups != 1 || !slices.Equal(obs.drops, []string{DropBadAuthenticator}) {
		t.Errorf("decisions %q dups %d drops %q; want %q, 1, [%s]", obs.decisions, obs.dups, obs.drops, want, DropBadAuthenticator)
	}
}
