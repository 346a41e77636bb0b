package pgstore

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Connection housekeeping: a connection idle for longer than maxIdle, or
// older than maxLife (so that nodes spread over the replicas again after a
// fail-over), is closed instead of reused.
const (
	maxIdle = 5 * time.Minute
	maxLife = time.Hour
)

// pool runs calls on connections of a pgxpool.Pool, each within a time
// budget, retrying once a call that met a connection the server had
// already ended. It is safe for concurrent use.
type pool struct {
	p      *pgxpool.Pool
	budget time.Duration // a call's time limit when its ctx has none
}

// newPool returns a pool of at most max connections made from cfg. It
// connects lazily: no connection is made until a call needs one.
func newPool(cfg *pgx.ConnConfig, max int, budget time.Duration) (*pool, error) {
	pc, err := pgxpool.ParseConfig("")
	if err != nil {
		return nil, err
	}
	pc.ConnConfig = cfg
	pc.MaxConns = int32(max)
	pc.MaxConnIdleTime = maxIdle
	pc.MaxConnLifetime = maxLife
	p, err := pgxpool.NewWithConfig(context.Background(), pc)
	if err != nil {
		return nil, err
	}
	return &pool{p: p, budget: budget}, nil
}

// run calls f with a connection and the context f must use: ctx, or ctx
// limited to p.budget if it has no deadline.
func (p *pool) run(ctx context.Context, f func(ctx context.Context, c *pgx.Conn) error) error {
	if _, ok := ctx.Deadline(); !ok && p.budget > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, p.budget)
		defer cancel()
	}
	return p.runNoBudget(ctx, f)
}

// runNoBudget is run without the default time limit (for migrations and
// copies). If f fails on a connection that turns out to have been dead
// before f could run anything on it (the server restarted, or ended the
// session while it was idle), the pool's other connections are dropped too
// (they are most likely just as dead) and f runs once more on a new one:
// a database that comes back costs no failed call.
func (p *pool) runNoBudget(ctx context.Context, f func(ctx context.Context, c *pgx.Conn) error) error {
	for retry := false; ; retry = true {
		c, err := p.p.Acquire(ctx)
		if err != nil {
			return err
		}
		err = f(ctx, c.Conn())
		c.Release() // pgxpool closes it instead if it is broken or inside a transaction
		if err == nil || retry || ctx.Err() != nil || !deadBeforeUse(err) {
			return err
		}
		p.p.Reset()
	}
}

// deadBeforeUse reports whether err shows a connection that the server
// had already ended, or that failed before anything was sent: in both
// cases nothing of the call took effect, so it can run again.
func deadBeforeUse(err error) bool {
	if pgconn.SafeToRetry(err) {
		return true
	}
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) {
		return false
	}
	switch pgErr.Code {
	case "57P01", "57P02", "57P03": // admin_shutdown, crash_shutdown, cannot_connect_now
		return true
	}
	return false
}

// close closes the pool; later calls fail.
func (p *pool) close() { p.p.Close() }
