package pgstore

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"radiusd/store"
	"radiusd/store/pgstore/pgtest"
)

// outageOptions keep the budgets short: a call without a deadline gets
// ConnectTimeout + 2 × StatementTimeout = 750 ms.
func outageOptions(o *Options) {
	o.StatementTimeout = 250 * time.Millisecond
	o.ConnectTimeout = 250 * time.Millisecond
	o.MaxConns = 4
}

// call is one Store call of the request path.
type call struct {
	name string
	do   func(ctx context.Context) error
}

// requestPath returns the calls a login makes, for user alice at now.
func requestPath(s *Store, now time.Time) []call {
	return []call{
		{"Get", func(ctx context.Context) error { _, err := s.Get(ctx, "alice"); return err }},
		{"AcceptStep", func(ctx context.Context) error { return s.AcceptStep(ctx, "alice", now.Unix(), 0, now) }},
		{"RecordFailure", func(ctx context.Context) error {
			_, err := s.RecordFailure(ctx, "alice", store.Failure{Fingerprint: []byte("x"), Now: now, MaxFailures: 5, LockFor: time.Minute})
			return err
		}},
		{"PutChallenge", func(ctx context.Context) error {
			return s.PutChallenge(ctx, store.Challenge{ID: []byte(now.String()), User: "alice", Client: "vpn", Expires: now.Add(time.Minute)})
		}},
		{"TakeChallenge", func(ctx context.Context) error { _, err := s.TakeChallenge(ctx, []byte("state"), now); return err }},
		{"Ping", func(ctx context.Context) error { return s.Ping(ctx) }},
	}
}

// checkFailFast checks that every request-path call fails with a backend
// error (never a sentinel, never showing the password) within limit.
func checkFailFast(t *testing.T, s *Store, password string, newCtx func() (context.Context, context.CancelFunc), limit time.Duration, now time.Time) {
	t.Helper()
	for _, c := range requestPath(s, now) {
		ctx, cancel := newCtx()
		start := time.Now()
		err := c.do(ctx)
		took := time.Since(start)
		cancel()
		switch {
		case err == nil:
			t.Errorf("%s succeeded with the database unavailable", c.name)
		case errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrReplay):
			t.Errorf("%s: %v, want a backend error", c.name, err)
		case !strings.HasPrefix(err.Error(), "pgstore: ") || strings.Contains(err.Error(), password):
			t.Errorf("%s: error %q lacks the prefix or shows the password", c.name, err)
		}
		if took > limit {
			t.Errorf("%s took %v, want at most %v (%v)", c.name, took, limit, err)
		}
	}
}

// checkWorks checks that every request-path call succeeds at once, with
// no reopening (AcceptStep with a new step, so success is required).
func checkWorks(t *testing.T, s *Store, now time.Time) {
	t.Helper()
	for _, c := range requestPath(s, now) {
		err := c.do(t.Context())
		if err != nil && !(c.name == "TakeChallenge" && errors.Is(err, store.ErrNotFound)) {
			t.Errorf("%s: %v", c.name, err)
		}
	}
}

// warm makes the store hold several idle connections.
func warm(t *testing.T, s *Store) {
	t.Helper()
	for i, err := range race(8, func(int) error { return s.Ping(t.Context()) }) {
		if err != nil {
			t.Fatalf("ping %d: %v", i, err)
		}
	}
}

// A stopped database makes calls fail within their budget, and the same
// Store works again as soon as the database is back.
func TestDatabaseDown(t *testing.T) {
	c := pgtest.New(t)
	s := openAt(t, c.NewDatabase(t), outageOptions)
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	mustDo(t, s.Import(t.Context(), "alice", totp(1), now, false))

	t.Run("restart between calls", func(t *testing.T) {
		warm(t, s) // idle connections that the restart ends
		mustDo(t, c.Stop())
		mustDo(t, c.Start())
		checkWorks(t, s, now.Add(time.Minute)) // the first call after the restart already succeeds
	})
	t.Run("calls while stopped", func(t *testing.T) {
		warm(t, s)
		mustDo(t, c.Stop())
		withDeadline := func() (context.Context, context.CancelFunc) { return context.WithTimeout(t.Context(), time.Second) }
		checkFailFast(t, s, c.Password(), withDeadline, 1200*time.Millisecond, now.Add(2*time.Minute))
		noDeadline := func() (context.Context, context.CancelFunc) { return context.WithCancel(context.Background()) }
		checkFailFast(t, s, c.Password(), noDeadline, time.Second, now.Add(2*time.Minute))
		mustDo(t, c.Start())
		checkWorks(t, s, now.Add(3*time.Minute))
	})
	t.Run("database hangs", func(t *testing.T) {
		// Each round first meets idle connections that no longer answer,
		// then new connections that the server never accepts.
		withDeadline := func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(t.Context(), 300*time.Millisecond)
		}
		noDeadline := func() (context.Context, context.CancelFunc) { return context.WithCancel(context.Background()) }
		warm(t, s)
		mustDo(t, c.Pause())
		t.Cleanup(func() { _ = c.Resume() })
		checkFailFast(t, s, c.Password(), noDeadline, time.Second, now.Add(4*time.Minute))
		mustDo(t, c.Resume())
		warm(t, s)
		mustDo(t, c.Pause())
		checkFailFast(t, s, c.Password(), withDeadline, 500*time.Millisecond, now.Add(4*time.Minute))
		mustDo(t, c.Resume())
		checkWorks(t, s, now.Add(5*time.Minute))
	})
	if u, err := s.Get(t.Context(), "alice"); err != nil || u.LastStep != now.Add(5*time.Minute).Unix() {
		t.Errorf("LastStep %d (%v) after the outages", u.LastStep, err)
	}
}

// A statement waiting on a row lock (another node holding it) ends at the
// statement timeout, or earlier at the caller's deadline, with a backend
// error; the Store goes on working once the lock is released.
func TestStatementTimeout(t *testing.T) {
	dsn := freshDSN(t)
	s := openAt(t, dsn, func(o *Options) { o.StatementTimeout = 200 * time.Millisecond })
	ctx := t.Context()
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	mustDo(t, s.Import(ctx, "alice", totp(1), now, false))

	holder, err := pgx.Connect(ctx, dsn)
	mustDo(t, err)
	defer holder.Close(context.Background())
	tx, err := holder.Begin(ctx)
	mustDo(t, err)
	_, err = tx.Exec(ctx, `SELECT 1 FROM users WHERE name = 'alice' FOR UPDATE`)
	mustDo(t, err)

	start := time.Now()
	err = s.AcceptStep(ctx, "alice", 10, 0, now)
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "57014" || time.Since(start) > time.Second {
		t.Errorf("AcceptStep on a locked row: %v after %v, want query_canceled (57014) after 200ms", err, time.Since(start))
	}
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	start = time.Now()
	if err := s.AcceptStep(short, "alice", 10, 0, now); err == nil || errors.Is(err, store.ErrReplay) || time.Since(start) > 500*time.Millisecond {
		t.Errorf("AcceptStep with a 50ms deadline: %v after %v", err, time.Since(start))
	}
	if _, err := s.Get(ctx, "alice"); err != nil {
		t.Errorf("Get beside the lock: %v", err)
	}
	mustDo(t, tx.Rollback(ctx))
	if err := s.AcceptStep(ctx, "alice", 10, 0, now); err != nil {
		t.Errorf("AcceptStep after the lock went: %v", err)
	}
}
