package portal

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// maxLimited bounds the addresses the limiter tracks; past it, addresses
// whose bucket has refilled are forgotten.
const maxLimited = 50000

// limiter bounds sign-in attempts per client address (a token bucket each,
// refilled at perMinute per minute, holding at most perMinute).
type limiter struct {
	mu        sync.Mutex
	buckets   map[netip.Addr]*rate.Limiter
	perMinute int
	now       func() time.Time
}

func newLimiter(perMinute int, now func() time.Time) *limiter {
	return &limiter{buckets: map[netip.Addr]*rate.Limiter{}, perMinute: perMinute, now: now}
}

// allow takes one attempt from addr's bucket, or reports false.
func (l *limiter) allow(addr netip.Addr) bool {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets[addr]
	if !ok {
		if len(l.buckets) >= maxLimited {
			l.forgetFullLocked(now)
		}
		b = rate.NewLimiter(rate.Limit(float64(l.perMinute)/60), l.perMinute)
		l.buckets[addr] = b
	}
	return b.AllowN(now, 1)
}

func (l *limiter) forgetFullLocked(now time.Time) {
	for a, b := range l.buckets {
		if b.TokensAt(now) >= float64(l.perMinute) {
			delete(l.buckets, a)
		}
	}
}

// clientAddr is the address of the browser: the TCP peer, or, when the
// peer is a trusted proxy, the last X-Forwarded-For entry that is not one.
func (p *Portal) clientAddr(r *http.Request) netip.Addr {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	peer, err := netip.ParseAddr(host)
	if err != nil {
		return netip.IPv6Unspecified()
	}
	peer = peer.Unmap()
	if !p.trusted(peer) {
		return peer
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			return peer
		}
		if a = a.Unmap(); !p.trusted(a) {
			return a
		}
	}
	return peer
}

func (p *Portal) trusted(a netip.Addr) bool {
	for _, pfx := range p.opts.TrustedProxies {
		if pfx.Contains(a) {
			return true
		}
	}
	return false
}
