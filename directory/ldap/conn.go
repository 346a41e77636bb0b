package ldap

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"slices"
	"time"

	goldap "github.com/go-ldap/ldap/v3"
)

// defaultOpTimeout bounds one LDAP operation when ctx has no deadline.
const defaultOpTimeout = 30 * time.Second

// conn is one LDAP connection. go-ldap ignores contexts, so the package
// dials the TCP connection itself and keeps it: closing raw fails every
// pending operation at once, which is how a done ctx interrupts go-ldap.
type conn struct {
	t      *target
	raw    net.Conn
	l      *goldap.Conn
	idle   time.Time // when it was last put into a pool
	broken bool      // a connection-level failure happened: never reuse
}

// dialTarget connects to t within ctx and ConnectTimeout: TCP, then the
// TLS handshake (ldaps://) or StartTLS (when configured). A server that
// refuses StartTLS is an error.
func (d *Directory) dialTarget(ctx context.Context, t *target) (*conn, error) {
	ctx, cancel := context.WithTimeout(ctx, d.cfg.ConnectTimeout)
	defer cancel()
	raw, err := d.dialContext(ctx, "tcp", t.addr)
	if err != nil {
		return nil, fmt.Errorf("ldap: connect to %s: %w", t.url, orCtxErr(ctx, err))
	}
	d.stats.dials.Add(1)
	c := &conn{t: t, raw: raw}
	if t.ldaps {
		tc := tls.Client(raw, t.tls)
		if err := tc.HandshakeContext(ctx); err != nil {
			_ = raw.Close()
			return nil, fmt.Errorf("ldap: tls handshake with %s: %w", t.url, orCtxErr(ctx, err))
		}
		c.l = goldap.NewConn(tc, true)
	} else {
		c.l = goldap.NewConn(raw, false)
	}
	c.l.Start()
	if t.startTLS {
		if err := c.do(ctx, "starttls", func(l *goldap.Conn) error { return l.StartTLS(t.tls) }); err != nil {
			c.close()
			return nil, err
		}
	}
	return c, nil
}

// do runs op on c within ctx and wraps its error with name and the URL.
// The connection is closed as soon as ctx is done (defaultOpTimeout when
// ctx has no deadline), so op never outlives ctx; the error then wraps
// ctx.Err(). go-ldap's own request timeout stays off: it would start a
// goroutine and two timers per operation. Any failure that is not an LDAP
// result from the server marks c broken.
func (c *conn) do(ctx context.Context, name string, op func(*goldap.Conn) error) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, defaultOpTimeout)
		defer cancel()
	}
	if dl, _ := ctx.Deadline(); ctx.Err() != nil || !time.Now().Before(dl) {
		return fmt.Errorf("ldap: %s on %s: %w", name, c.t.url, orCtxErr(ctx, context.DeadlineExceeded))
	}
	stop := context.AfterFunc(ctx, func() { _ = c.raw.Close() })
	err := op(c.l)
	interrupted := !stop()
	switch {
	case err == nil:
		c.broken = c.broken || interrupted
		return nil
	case interrupted || expired(ctx):
		c.broken = true
		err = orCtxErr(ctx, context.DeadlineExceeded)
	case !answered(err):
		c.broken = true
	}
	return fmt.Errorf("ldap: %s on %s: %w", name, c.t.url, err)
}

// close closes the connection and waits for go-ldap's goroutines to stop.
func (c *conn) close() {
	c.broken = true
	_ = c.raw.Close()
	_ = c.l.Close()
}

// answered reports whether err is an LDAP result sent by the server (the
// connection still works), as opposed to a network, timeout or protocol
// failure detected by go-ldap.
func answered(err error) bool {
	var le *goldap.Error
	return errors.As(err, &le) && le.ResultCode < goldap.ErrorNetwork
}

// expired reports whether ctx is done or its deadline has passed (go-ldap's
// own timer may fire a moment before ctx's).
func expired(ctx context.Context) bool {
	dl, ok := ctx.Deadline()
	return ctx.Err() != nil || (ok && !time.Now().Before(dl))
}

// orCtxErr returns ctx's error when ctx has expired, else err.
func orCtxErr(ctx context.Context, err error) error {
	if !expired(ctx) {
		return err
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return context.DeadlineExceeded
}

// call is the state of one Authenticate, Lookup or Check call.
type call struct {
	ctx    context.Context
	failed []bool // per target: failed to connect during this call, skip it
}

// dial connects to the first target that works, skipping those that failed
// earlier in this call; each failure followed by another try counts as a
// failover. Service connections are bound as the service account.
func (d *Directory) dial(c *call, service bool) (*conn, error) {
	var errs []error
	for i, t := range d.targets {
		if c.failed[i] {
			continue
		}
		cn, err := d.dialTarget(c.ctx, t)
		if err == nil && service {
			err = d.serviceBind(c.ctx, cn)
		}
		if err == nil {
			return cn, nil
		}
		if expired(c.ctx) || answered(err) {
			return nil, err // the server is up (or time is up): no failover
		}
		c.failed[i] = true
		errs = append(errs, err)
		if slices.Contains(c.failed[i+1:], false) {
			d.stats.failovers.Add(1)
			d.log.Warn("ldap server failed, trying the next one", "url", t.url, "error", err)
		}
	}
	if len(errs) == 0 {
		return nil, errors.New("ldap: every server failed earlier in this request")
	}
	return nil, errors.Join(errs...)
}

// serviceBind binds a new service connection as BindDN (nothing for
// anonymous searches); on failure it closes cn.
func (d *Directory) serviceBind(ctx context.Context, cn *conn) error {
	if d.cfg.BindDN == "" {
		return nil
	}
	d.stats.serviceBinds.Add(1)
	err := cn.do(ctx, "service bind", func(l *goldap.Conn) error {
		return l.Bind(d.cfg.BindDN, string(d.cfg.BindPassword.Bytes()))
	})
	if err != nil {
		cn.close()
	}
	if goldap.IsErrorWithCode(err, goldap.LDAPResultInvalidCredentials) {
		return fmt.Errorf("ldap: service bind on %s refused: check bind_dn and bind_password_file (%w)", cn.t.url, errServiceRefused)
	}
	return err
}

// errServiceRefused is the cause of a refused service bind.
var errServiceRefused = errors.New("invalid credentials")
