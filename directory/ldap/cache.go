package ldap

import (
	"sync"
	"time"
)

// maxCacheEntries bounds the cache; when it is full, expired entries are
// swept and, if none were, new entries are not cached.
const maxCacheEntries = 100_000

// cache remembers user entries (DN, groups, disabled flag, e-mail address
// and mobile number, never anything about the password) for a fixed time.
// A nil *cache caches nothing. It is safe for concurrent use.
type cache struct {
	ttl time.Duration

	mu sync.Mutex
	m  map[string]cached
}

type cached struct {
	e       entry
	expires time.Time
}

// newCache returns a cache keeping entries for ttl, or nil for ttl 0.
func newCache(ttl time.Duration) *cache {
	if ttl <= 0 {
		return nil
	}
	return &cache{ttl: ttl, m: make(map[string]cached)}
}

// get returns the unexpired entry for name.
func (c *cache) get(name string, now time.Time) (entry, bool) {
	if c == nil {
		return entry{}, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.m[name]
	if !ok || !now.Before(v.expires) {
		return entry{}, false
	}
	return v.e, true
}

// put stores e for name until now+ttl.
func (c *cache) put(name string, e entry, now time.Time) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= maxCacheEntries {
		for k, v := range c.m {
			if !now.Before(v.expires) {
				delete(c.m, k)
			}
		}
		if len(c.m) >= maxCacheEntries {
			return
		}
	}
	c.m[name] = cached{e: e, expires: now.Add(c.ttl)}
}

// forget drops name's entry (after a failed bind: its DN may be stale).
func (c *cache) forget(name string) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, name)
}
