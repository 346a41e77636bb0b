package radiussrv

import (
	"errors"
	"net/netip"
	"strings"
	"testing"

	"layeh.com/radius"

	"radiusd/auth"
	"radiusd/secret"
)

func TestNewRejectsBadOptions(t *testing.T) {
	good := testClient("vpn", "192.0.2.0/24", testSecret)
	with := func(f func(c *Client)) []Client {
		c := good
		f(&c)
		return []Client{c}
	}
	tests := []struct {
		name string
		opts Options
		a    Authenticator
	}{
		{"nil authenticator", Options{Clients: []Client{good}}, nil},
		{"empty name", Options{Clients: with(func(c *Client) { c.Name = "" })}, &fakeAuth{}},
		{"duplicate name", Options{Clients: []Client{good, testClient("vpn", "10.0.0.0/8", testSecret)}}, &fakeAuth{}},
		{"no networks", Options{Clients: with(func(c *Client) { c.Networks = nil })}, &fakeAuth{}},
		{"invalid network", Options{Clients: with(func(c *Client) { c.Networks = []netip.Prefix{{}} })}, &fakeAuth{}},
		{"empty secret", Options{Clients: with(func(c *Client) { c.Secret = secret.Value{} })}, &fakeAuth{}},
		{"unknown mode", Options{Clients: with(func(c *Client) { c.Mode = "sms" })}, &fakeAuth{}},
		{"network of two clients", Options{Clients: []Client{good, testClient("other", "192.0.2.0/24", testSecret)}}, &fakeAuth{}},
		{"same network mapped", Options{Clients: []Client{good, testClient("other", "::ffff:192.0.2.0/120", testSecret)}}, &fakeAuth{}},
		{"negative timeout", Options{Clients: []Client{good}, RequestTimeout: -1}, &fakeAuth{}},
		{"negative ttl", Options{Clients: []Client{good}, DuplicateTTL: -1}, &fakeAuth{}},
		{"negative in flight", Options{Clients: []Client{good}, MaxInFlight: -1}, &fakeAuth{}},
		{"negative entries", Options{Clients: []Client{good}, DuplicateEntries: -1}, &fakeAuth{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.opts, tt.a, nil)
			if !errors.Is(err, ErrInvalidOptions) {
				t.Fatalf("err %v, want ErrInvalidOptions", err)
			}
			if strings.Contains(err.Error(), testSecret) {
				t.Errorf("error reveals the secret: %v", err)
			}
		})
	}
}

func TestClientMatch(t *testing.T) {
	clients := []Client{
		testClient("wide", "10.0.0.0/8", "k1"),
		testClient("narrow", "10.1.2.0/24", "k2"),
		testClient("host", "::ffff:10.1.2.3/128", "k3"), // written IPv4-mapped
		testClient("v6", "2001:db8::/32", "k4"),
		testClient("v6host", "2001:db8::1/128", "k5"),
	}
	clients[0].Mode = ""
	table, err := newClientTable(clients)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		addr string
		want string
	}{
		{"10.9.9.9", "wide"},
		{"10.1.2.4", "narrow"},
		{"10.1.2.3", "host"},
		{"::ffff:10.1.2.4", "narrow"},
		{"::ffff:10.9.9.9", "wide"},
		{"2001:db8::2", "v6"},
		{"2001:db8::1", "v6host"},
		{"fe80::1%eth0", ""},
		{"11.0.0.1", ""},
		{"::1", ""},
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			got := ""
			if c := table.match(netip.MustParseAddr(tt.addr)); c != nil {
				got = c.name
			}
			if got != tt.want {
				t.Errorf("match(%s) = %q, want %q", tt.addr, got, tt.want)
			}
		})
	}
	if c := table.match(netip.MustParseAddr("10.9.9.9")); c.mode != auth.ModePasswordOTP {
		t.Errorf("empty mode became %q, want %q", c.mode, auth.ModePasswordOTP)
	}
}

func TestMostSpecificClientSecret(t *testing.T) {
	clients := []Client{testClient("wide", "10.0.0.0/8", otherSecret), testClient("narrow", "10.1.2.0/24", testSecret)}
	s, _, _ := newTestServer(t, Options{Clients: clients}, &fakeAuth{})
	req := buildRequest(t, testSecret, validOpts()...)
	if got := s.HandlePacket(t.Context(), req, netip.MustParseAddrPort("10.1.2.3:1000")); got == nil {
		t.Error("request from the narrow network with its secret dropped")
	}
	if got := s.HandlePacket(t.Context(), req, netip.MustParseAddrPort("10.9.2.3:1000")); got != nil {
		t.Error("request from the wide network with the narrow secret answered")
	}
}

func TestSetClients(t *testing.T) {
	fake := &fakeAuth{}
	s, _, _ := newTestServer(t, Options{}, fake)
	req := buildRequest(t, otherSecret, validOpts()...)
	if s.HandlePacket(t.Context(), req, otherRemote) != nil {
		t.Fatal("answered an unknown client")
	}
	if err := s.SetClients([]Client{{Name: "bad"}}); !errors.Is(err, ErrInvalidOptions) {
		t.Fatalf("SetClients(invalid) = %v, want ErrInvalidOptions", err)
	}
	if err := s.SetClients([]Client{testClient("new", "203.0.113.0/24", otherSecret)}); err != nil {
		t.Fatal(err)
	}
	p := checkReply(t, s.HandlePacket(t.Context(), req, otherRemote), req, otherSecret)
	if p.Code != radius.CodeAccessAccept {
		t.Errorf("code %v, want Access-Accept", p.Code)
	}
	old := buildRequest(t, testSecret, validOpts()...)
	if s.HandlePacket(t.Context(), old, testRemote) != nil {
		t.Error("removed client still answered")
	}
	if got := fake.lastCall(t).Client; got != "new" {
		t.Errorf("client %q, want new", got)
	}
}
