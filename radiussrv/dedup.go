package radiussrv

import (
	"hash/maphash"
	"net/netip"
	"sync"
	"time"
)

// dupKey identifies one request for duplicate detection (RFC 5080 §2.2.2):
// the client's address and port, the Identifier and the Request
// Authenticator. It holds no secret.
type dupKey struct {
	from netip.AddrPort
	id   byte
	auth [16]byte
}

// dupStatus is what dupCache.begin found.
type dupStatus int

const (
	dupNew      dupStatus = iota // first copy: the caller decides and calls finish
	dupUntraced                  // cache full: decide without duplicate detection, no finish
	dupInFlight                  // a copy is being decided: drop this one
	dupAnswered                  // answered: replay the cached bytes
)

type dupEntry struct {
	seq      uint64
	reply    []byte    // nil while in flight
	expires  time.Time // set when answered
	inFlight bool
}

type dupRef struct {
	key dupKey
	seq uint64
}

// dupShard is one independently locked part of the cache. order lists keys
// in insertion order, which is also their expiry order up to the request
// timeout, so expired entries are pruned from its front.
type dupShard struct {
	mu      sync.Mutex
	entries map[dupKey]*dupEntry
	order   []dupRef
	head    int
	seq     uint64
	max     int
}

// dupCache is a sharded, bounded RFC 5080 duplicate cache. It stores reply
// bytes (which are signed but hold no secret) for ttl after the answer.
type dupCache struct {
	ttl    time.Duration
	seed   maphash.Seed
	shards []dupShard
}

func newDupCache(maxEntries int, ttl time.Duration) *dupCache {
	n := 64
	if maxEntries < 64*16 {
		n = 1 // small caches (tests) keep an exact bound
	}
	c := &dupCache{ttl: ttl, seed: maphash.MakeSeed(), shards: make([]dupShard, n)}
	for i := range c.shards {
		c.shards[i].entries = make(map[dupKey]*dupEntry)
		c.shards[i].max = max(1, maxEntries/n)
	}
	return c
}

func (c *dupCache) shard(k dupKey) *dupShard {
	return &c.shards[maphash.Comparable(c.seed, k)%uint64(len(c.shards))]
}

// begin looks k up at now. For dupAnswered it returns the cached reply,
// which the caller must not modify. For dupNew it records k as in flight.
func (c *dupCache) begin(k dupKey, now time.Time) (dupStatus, []byte) {
	s := c.shard(k)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.prune(now, false)
	if e, ok := s.entries[k]; ok {
		if e.inFlight {
			return dupInFlight, nil
		}
		if now.Before(e.expires) {
			return dupAnswered, e.reply
		}
		delete(s.entries, k)
	}
	if len(s.entries) >= s.max {
		s.prune(now, true)
		if len(s.entries) >= s.max {
			return dupUntraced, nil
		}
	}
	s.seq++
	s.entries[k] = &dupEntry{seq: s.seq, inFlight: true}
	s.order = append(s.order, dupRef{key: k, seq: s.seq})
	return dupNew, nil
}

// finish stores the reply for k, answered at now. A nil reply forgets k, so
// a retransmission is decided afresh.
func (c *dupCache) finish(k dupKey, reply []byte, now time.Time) {
	s := c.shard(k)
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.entries[k]
	if !ok || !e.inFlight {
		return
	}
	if reply == nil {
		delete(s.entries, k)
		return
	}
	e.reply, e.expires, e.inFlight = reply, now.Add(c.ttl), false
}

// prune drops answered entries from the front of the order: expired ones,
// or with evict the oldest answered one regardless of age. It stops at the
// first entry still in flight, which finishes within the request timeout.
func (s *dupShard) prune(now time.Time, evict bool) {
	for s.head < len(s.order) {
		ref := s.order[s.head]
		e, ok := s.entries[ref.key]
		if ok && e.seq == ref.seq {
			if e.inFlight || (!evict && now.Before(e.expires)) {
				break
			}
			delete(s.entries, ref.key)
			evict = false
		}
		s.order[s.head] = dupRef{}
		s.head++
	}
	if s.head > 1024 && s.head*2 > len(s.order) {
		s.order = append(s.order[:0], s.order[s.head:]...)
		s.head = 0
	}
}

// len returns the number of entries, for tests.
func (c *dupCache) len() int {
	n := 0
	for i := range c.shards {
		c.shards[i].mu.Lock()
		n += len(c.shards[i].entries)
		c.shards[i].mu.Unlock()
	}
	return n
}
