package pgstore

import (
	"bytes"
	"context"
	"errors"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"radiusd/secret"
	"radiusd/store"
)

// flights counts round trips on every connection of a Store: a flight is
// a run of writes to the server that no read interrupts.
type flights struct{ n atomic.Int64 }

// hook makes cfg dial through a counting connection.
func (f *flights) hook(cfg *pgx.ConnConfig) {
	dial := cfg.DialFunc
	cfg.DialFunc = func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return &countingConn{Conn: c, f: f}, nil
	}
}

// countingConn counts the flights of one connection.
type countingConn struct {
	net.Conn
	f       *flights
	writing atomic.Bool
}

func (c *countingConn) Write(b []byte) (int, error) {
	if !c.writing.Swap(true) {
		c.f.n.Add(1)
	}
	return c.Conn.Write(b)
}

func (c *countingConn) Read(b []byte) (int, error) {
	c.writing.Store(false)
	return c.Conn.Read(b)
}

// openCounted opens a Store on dsn whose round trips f counts.
func openCounted(t testing.TB, dsn string, maxConns int, f *flights) *Store {
	t.Helper()
	s, err := openWith(t.Context(), Options{DSN: dsn, Key: testKey, MaxConns: maxConns}, f.hook)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// roundTripOp is one Store call and the round trips it should take.
type roundTripOp struct {
	name string
	want int64
	do   func() error
}

// roundTripOps returns every Store operation on user name, in an order in
// which each one succeeds.
func roundTripOps(ctx context.Context, s *Store, name string) []roundTripOp {
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	codes := [][]byte{bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 32)}
	tp := store.TOTP{Secret: secret.New(bytes.Repeat([]byte{3}, 20)), Digits: 6, Period: 30, Algorithm: "SHA1"}
	ignore := func(_ any, err error) error { return err }
	challenge := store.Challenge{ID: []byte(name), User: name, Client: "vpn", Expires: now.Add(time.Minute),
		Code: bytes.Repeat([]byte{4}, 32)}
	return []roundTripOp{
		{"Enroll", 4, func() error { return s.Enroll(ctx, name, tp, now, false) }},
		{"Activate", 6, func() error { return s.Activate(ctx, name, 100, 0, codes, now) }},
		{"Get", 1, func() error { return ignore(s.Get(ctx, name)) }},
		{"AcceptStep", 1, func() error { return s.AcceptStep(ctx, name, 101, 0, now) }},
		{"AcceptStep replayed", 1, func() error { return ignoreReplay(s.AcceptStep(ctx, name, 101, 0, now)) }},
		{"RecordFailure", 1, func() error { return ignore(s.RecordFailure(ctx, name, store.Failure{Now: now, MaxFailures: 5})) }},
		{"UseRecoveryCode", 1, func() error { return s.UseRecoveryCode(ctx, name, codes[0], now) }},
		{"ReplaceRecoveryCodes", 6, func() error { return s.ReplaceRecoveryCodes(ctx, name, codes, now) }},
		{"StartGrace", 1, func() error { return ignore(s.StartGrace(ctx, name, now)) }},
		{"SetPolicy", 1, func() error { return s.SetPolicy(ctx, name, store.PolicyRequired, now) }},
		{"SetMethod", 1, func() error { return s.SetMethod(ctx, name, store.MethodEmail, now) }},
		{"ReserveSend", 1, func() error { return s.ReserveSend(ctx, name, now, time.Minute) }},
		{"ReserveSend too soon", 1, func() error { return ignoreTooSoon(s.ReserveSend(ctx, name, now, time.Minute)) }},
		{"Unlock", 1, func() error { return s.Unlock(ctx, name) }},
		{"PutChallenge", 1, func() error { return s.PutChallenge(ctx, challenge) }},
		{"TakeChallenge", 1, func() error { return ignore(s.TakeChallenge(ctx, challenge.ID, now)) }},
		{"Reset", 4, func() error { return s.Reset(ctx, name) }},
		{"List", 1, func() error { return ignore(s.List(ctx)) }},
		{"CountByState", 1, func() error { return ignore(s.CountByState(ctx)) }},
		{"Ping", 1, func() error { return s.Ping(ctx) }},
		{"AddAudit", 1, func() error {
			return s.AddAudit(ctx, store.AuditEntry{Time: now, Actor: "admin", Action: "reset", Target: name, Remote: "local"})
		}},
		{"ListAudit", 1, func() error { return ignore(s.ListAudit(ctx, store.AuditQuery{Target: name, Limit: 10})) }},
	}
}

// The round trips of each operation, once its statements are prepared on
// the connection (the package doc lists them).
func TestRoundTrips(t *testing.T) {
	var f flights
	s := openCounted(t, freshDSN(t), 1, &f)
	for _, op := range roundTripOps(t.Context(), s, "warm-up") { // prepares every statement on the one connection
		mustDo(t, op.do())
	}
	for _, op := range roundTripOps(t.Context(), s, "alice") {
		before := f.n.Load()
		mustDo(t, op.do())
		got := f.n.Load() - before
		t.Logf("%-22s %d round trips", op.name, got)
		if got != op.want {
			t.Errorf("%s: %d round trips, want %d", op.name, got, op.want)
		}
	}
}

// ignoreReplay turns the expected ErrReplay into nil.
func ignoreReplay(err error) error {
	if errors.Is(err, store.ErrReplay) {
		return nil
	}
	if err == nil {
		return store.ErrNotFound // a replay must be refused
	}
	return err
}

// ignoreTooSoon turns the expected ErrTooSoon into nil.
func ignoreTooSoon(err error) error {
	if errors.Is(err, store.ErrTooSoon) {
		return nil
	}
	if err == nil {
		return store.ErrNotFound // a send within the gap must be refused
	}
	return err
}

// A Store never opens more than MaxConns connections, however many
// callers wait.
func TestMaxConns(t *testing.T) {
	dials := atomic.Int64{}
	s, err := openWith(t.Context(), Options{DSN: freshDSN(t), Key: testKey, MaxConns: 3}, func(cfg *pgx.ConnConfig) {
		dial := cfg.DialFunc
		cfg.DialFunc = func(ctx context.Context, network, addr string) (net.Conn, error) {
			dials.Add(1)
			return dial(ctx, network, addr)
		}
	})
	mustDo(t, err)
	defer s.Close()
	errs := race(40, func(int) error {
		return s.pool.run(t.Context(), func(ctx context.Context, c *pgx.Conn) error {
			_, err := c.Exec(t.Context(), `SELECT pg_sleep(0.02)`)
			return err
		})
	})
	for i, err := range errs {
		if err != nil {
			t.Errorf("call %d: %v", i, err)
		}
	}
	if n := dials.Load(); n > 3 {
		t.Errorf("%d connections dialled, want at most 3", n)
	}
}

// A caller waiting for a connection, all of them in use, honours its
// context.
func TestPoolWaitHonoursContext(t *testing.T) {
	s := openAt(t, freshDSN(t), func(o *Options) { o.MaxConns = 3 })
	hold := make(chan struct{})
	held := make(chan struct{}, 3)
	for range 3 {
		go s.pool.run(context.Background(), func(context.Context, *pgx.Conn) error { held <- struct{}{}; <-hold; return nil })
	}
	for range 3 {
		<-held
	}
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	if err := s.Ping(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Ping with every connection in use: %v, want deadline exceeded", err)
	}
	close(hold)
	mustDo(t, s.Ping(t.Context()))
}
