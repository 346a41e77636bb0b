package radiussrv

import (
	"bytes"
	"net/netip"
	"sync"
	"testing"
	"time"
)

func TestDuplicateAnsweredFromCache(t *testing.T) {
	fake := &fakeAuth{}
	s, _, clock := newTestServer(t, Options{DuplicateTTL: 30 * time.Second}, fake)
	req := buildRequest(t, testSecret, validOpts()...)
	first := s.HandlePacket(t.Context(), req, testRemote)
	checkReply(t, first, req, testSecret)

	clock.Advance(29 * time.Second)
	again := s.HandlePacket(t.Context(), req, testRemote)
	if !bytes.Equal(again, first) {
		t.Fatal("retransmission answered with different bytes")
	}
	if fake.callCount() != 1 || s.Stats().DuplicatesAnswered != 1 {
		t.Fatalf("%d calls, %d duplicates answered; want 1 and 1", fake.callCount(), s.Stats().DuplicatesAnswered)
	}
	if s.Stats().Requests["accept"] != 1 {
		t.Errorf("Requests %v: the cached answer must not count again", s.Stats().Requests)
	}

	clock.Advance(2 * time.Second) // past the TTL: decided afresh
	checkReply(t, s.HandlePacket(t.Context(), req, testRemote), req, testSecret)
	if fake.callCount() != 2 {
		t.Fatalf("%d calls after the TTL, want 2", fake.callCount())
	}
}

func TestDuplicateKey(t *testing.T) {
	tests := []struct {
		name  string
		opts  []reqOpt
		from  netip.AddrPort
		calls int
	}{
		{"same request", nil, testRemote, 1},
		{"other source port", nil, netip.AddrPortFrom(testRemote.Addr(), testRemote.Port()+1), 2},
		{"other identifier", []reqOpt{withID(8)}, testRemote, 2},
		{"other request authenticator", []reqOpt{withAuthenticator([16]byte{1})}, testRemote, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := &fakeAuth{}
			s, _, _ := newTestServer(t, Options{}, fake)
			req := buildRequest(t, testSecret, validOpts()...)
			s.HandlePacket(t.Context(), req, testRemote)
			req2 := buildRequest(t, testSecret, append(tt.opts, validOpts()...)...)
			checkReply(t, s.HandlePacket(t.Context(), req2, tt.from), req2, testSecret)
			if fake.callCount() != tt.calls {
				t.Errorf("%d calls, want %d", fake.callCount(), tt.calls)
			}
		})
	}
}

func TestDuplicateInFlightDropped(t *testing.T) {
	fake := &fakeAuth{entered: make(chan struct{}, 1), gate: make(chan struct{})}
	s, _, _ := newTestServer(t, Options{}, fake)
	req := buildRequest(t, testSecret, validOpts()...)
	var first []byte
	var wg sync.WaitGroup
	wg.Go(func() { first = s.HandlePacket(t.Context(), req, testRemote) })
	<-fake.entered
	if got := s.HandlePacket(t.Context(), req, testRemote); got != nil {
		t.Fatal("retransmission answered while the first copy is in flight")
	}
	close(fake.gate)
	wg.Wait()
	checkReply(t, first, req, testSecret)
	st := s.Stats()
	if st.Drops[DropDuplicateInFlight] != 1 || fake.callCount() != 1 {
		t.Errorf("drops %v, %d calls; want one duplicate_in_flight and one call", st.Drops, fake.callCount())
	}
	if again := s.HandlePacket(t.Context(), req, testRemote); !bytes.Equal(again, first) {
		t.Error("answered retransmission differs from the first answer")
	}
}

func TestDupCacheBounds(t *testing.T) {
	now := time.Unix(1000, 0)
	key := func(i int) dupKey { return dupKey{from: testRemote, id: byte(i)} }
	tests := []struct {
		name string
		run  func(t *testing.T, c *dupCache)
	}{
		{"full of answers: oldest evicted", func(t *testing.T, c *dupCache) {
			for i := range 3 {
				c.begin(key(i), now)
				c.finish(key(i), []byte{byte(i)}, now)
			}
			if st, _ := c.begin(key(3), now); st != dupNew {
				t.Fatalf("status %v, want dupNew", st)
			}
			if st, _ := c.begin(key(0), now); st == dupAnswered {
				t.Error("oldest entry not evicted")
			}
		}},
		{"full of requests in flight: untraced", func(t *testing.T, c *dupCache) {
			for i := range 3 {
				c.begin(key(i), now)
			}
			if st, _ := c.begin(key(3), now); st != dupUntraced {
				t.Fatalf("status %v, want dupUntraced", st)
			}
			c.finish(key(3), []byte{3}, now) // no effect: untraced
			if c.len() != 3 {
				t.Errorf("len %d, want 3", c.len())
			}
		}},
		{"expired entries pruned", func(t *testing.T, c *dupCache) {
			for i := range 3 {
				c.begin(key(i), now)
				c.finish(key(i), []byte{byte(i)}, now)
			}
			c.begin(key(9), now.Add(time.Minute))
			if c.len() != 1 {
				t.Errorf("len %d after expiry, want 1", c.len())
			}
		}},
		{"nil reply forgets the request", func(t *testing.T, c *dupCache) {
			c.begin(key(1), now)
			c.finish(key(1), nil, now)
			if st, _ := c.begin(key(1), now); st != dupNew {
				t.Errorf("status %v, want dupNew", st)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.run(t, newDupCache(3, 30*time.Second))
		})
	}
}

func TestDupCacheStaysBounded(t *testing.T) {
	const limit = 4096 // large enough to be sharded
	c := newDupCache(limit, 30*time.Second)
	now := time.Unix(1000, 0)
	for i := range 3 * limit {
		k := dupKey{from: netip.AddrPortFrom(testRemote.Addr(), uint16(i)), id: byte(i >> 16)}
		if st, _ := c.begin(k, now); st == dupNew {
			c.finish(k, []byte{1}, now)
		}
	}
	if n := c.len(); n > limit || n < limit/2 {
		t.Errorf("%d entries, want at most %d and most of them used", n, limit)
	}
}
