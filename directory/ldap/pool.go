package ldap

import (
	"context"
	"fmt"
	"sync"
	"time"

	goldap "github.com/go-ldap/ldap/v3"
)

// maxIdle is how long a pooled connection may sit unused before it is
// closed instead of reused (servers and firewalls drop idle connections).
const maxIdle = 60 * time.Second

// pool holds the connections of one kind (service or bind): at most max
// open at once (callers wait for a slot, so that a burst of requests does
// not open and close connections), the idle ones most recently used last.
// It is safe for concurrent use.
type pool struct {
	service bool          // service connections: bound as BindDN
	max     int           // bound on idle and on open connections
	slots   chan struct{} // one token per open connection in use

	mu     sync.Mutex
	idle   []*conn
	closed bool
}

// get returns the most recently used idle connection that is open and
// idle for at most maxIdle, or nil. Connections found unusable are
// returned in stale for the caller to close outside the lock.
func (p *pool) get(now time.Time) (c *conn, stale []*conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for n < len(p.idle) && now.Sub(p.idle[n].idle) > maxIdle {
		n++
	}
	stale = append(stale, p.idle[:n]...)
	p.idle = p.idle[n:]
	for len(p.idle) > 0 {
		c = p.idle[len(p.idle)-1]
		p.idle = p.idle[:len(p.idle)-1]
		if !c.l.IsClosing() {
			return c, stale
		}
		stale = append(stale, c)
	}
	return nil, stale
}

func newPool(service bool, max int) *pool {
	return &pool{service: service, max: max, slots: make(chan struct{}, max)}
}

// acquire waits for a free slot until ctx is done.
func (p *pool) acquire(ctx context.Context) error {
	select {
	case p.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("ldap: waiting for a connection: %w", ctx.Err())
	}
}

// release frees the slot taken by acquire.
func (p *pool) release() { <-p.slots }

// put adds c to the pool; it reports false when the pool is full or closed
// and the caller must close c.
func (p *pool) put(c *conn, now time.Time) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed || len(p.idle) >= p.max {
		return false
	}
	c.idle = now
	p.idle = append(p.idle, c)
	return true
}

// drain empties the pool, closing it for good when final is set, and
// returns the connections it held for the caller to close.
func (p *pool) drain(final bool) []*conn {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = p.closed || final
	out := p.idle
	p.idle = nil
	return out
}

func closeAll(cs []*conn) {
	for _, c := range cs {
		c.close()
	}
}

// use runs op on a connection from p (dialing when p has none) and gives
// the connection back. When a pooled connection fails at the connection
// level (a server restart leaves every pooled connection stale), the idle
// connections of p are closed and op is retried once on a new connection.
// Connections are closed after connection-level errors and kept after LDAP
// results such as a refused bind (which leaves a bind connection anonymous).
func (d *Directory) use(c *call, p *pool, name string, op func(*goldap.Conn) error) error {
	if err := p.acquire(c.ctx); err != nil {
		return err
	}
	defer p.release()
	cn, pooled, err := d.take(c, p)
	if err != nil {
		return err
	}
	err = cn.do(c.ctx, name, op)
	if pooled && cn.broken && !expired(c.ctx) {
		cn.close()
		closeAll(p.drain(false))
		if cn, err = d.dial(c, p.service); err != nil {
			return err
		}
		err = cn.do(c.ctx, name, op)
	}
	if cn.broken || !p.put(cn, d.now()) {
		cn.close()
	}
	return err
}

// take returns a pooled connection (pooled true) or a new one.
func (d *Directory) take(c *call, p *pool) (cn *conn, pooled bool, err error) {
	cn, stale := p.get(d.now())
	closeAll(stale)
	if cn != nil {
		return cn, true, nil
	}
	cn, err = d.dial(c, p.service)
	return cn, false, err
}
