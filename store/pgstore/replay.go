package pgstore

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"radiusd/store"
)

// AcceptStep records step as used if it is later than the last accepted
// one; see store.Store. One statement, one round trip.
func (s *Store) AcceptStep(ctx context.Context, name string, step int64, drift int, now time.Time) error {
	s.observe(now)
	if !storable(name) {
		return store.ErrNotFound
	}
	var (
		accepted bool
		state    *string
	)
	err := s.pool.run(ctx, func(ctx context.Context, c *pgx.Conn) error {
		return c.QueryRow(ctx, sqlAccept, step, drift, now, name).Scan(&accepted, &state)
	})
	switch {
	case err != nil:
		return wrap("accept step", err)
	case accepted:
		return nil
	case state == nil || *state != string(store.StateActive):
		return store.ErrNotFound
	}
	return store.ErrReplay
}

// RecordFailure counts one failed second factor in a single upsert; see
// store.Store and store.Failure. One round trip.
func (s *Store) RecordFailure(ctx context.Context, name string, f store.Failure) (time.Time, error) {
	s.observe(f.Now)
	if !storable(name) {
		return time.Time{}, wrap("record failure", errName)
	}
	var fp any // NULL: an empty fingerprint never equals the last one
	if len(f.Fingerprint) > 0 {
		fp = f.Fingerprint
	}
	lock := f.Now.Add(f.LockFor)
	newFailures, newLock := 1, any(nil)
	if f.MaxFailures == 1 {
		newFailures, newLock = 0, lock
	}
	var until *time.Time
	err := s.pool.run(ctx, func(ctx context.Context, c *pgx.Conn) error {
		return c.QueryRow(ctx, sqlFailure, name, fp, f.MaxFailures, lock, f.Now, newFailures, newLock).Scan(&until)
	})
	if err != nil {
		return time.Time{}, wrap("record failure", err)
	}
	if t := utcTime(until); t.After(f.Now) {
		return t, nil
	}
	return time.Time{}, nil
}

// Unlock clears the failure count and any lockout, or returns
// store.ErrNotFound for an unknown user.
func (s *Store) Unlock(ctx context.Context, name string) error {
	if !storable(name) {
		return store.ErrNotFound
	}
	return wrap("unlock", s.execOne(ctx, store.ErrNotFound,
		`UPDATE users SET failures = 0, failure_fp = NULL, locked_until = NULL WHERE name = $1`, name))
}

// StartGrace records the first start of the user's grace period; see
// store.Store. One round trip.
func (s *Store) StartGrace(ctx context.Context, name string, now time.Time) (time.Time, error) {
	s.observe(now)
	if !storable(name) {
		return time.Time{}, wrap("start grace", errName)
	}
	var start *time.Time
	err := s.pool.run(ctx, func(ctx context.Context, c *pgx.Conn) error {
		return c.QueryRow(ctx, sqlGrace, name, now).Scan(&start)
	})
	if err != nil {
		return time.Time{}, wrap("start grace", err)
	}
	return utcTime(start), nil
}

// SetPolicy stores the per-user override, creating the user if needed.
func (s *Store) SetPolicy(ctx context.Context, name string, p store.Policy, now time.Time) error {
	return s.upsertUser(ctx, "set policy", sqlSetPolicy, name, string(p), now)
}

// SetMethod stores the user's second-factor method, creating the user if
// needed; the schema's CHECK refuses an unknown method. One round trip.
func (s *Store) SetMethod(ctx context.Context, name string, m store.Method, now time.Time) error {
	return s.upsertUser(ctx, "set method", sqlSetMethod, name, string(m), now)
}

// Upserts of one per-user setting: $1 name, $2 value, $3 now.
const (
	sqlSetPolicy = `INSERT INTO users AS u (name, policy, created_at) VALUES ($1, $2, $3)
		ON CONFLICT (name) DO UPDATE SET policy = excluded.policy`
	sqlSetMethod = `INSERT INTO users AS u (name, method, created_at) VALUES ($1, $2, $3)
		ON CONFLICT (name) DO UPDATE SET method = excluded.method`
)

// upsertUser runs one of the per-user setting upserts in one round trip.
func (s *Store) upsertUser(ctx context.Context, op, query, name, value string, now time.Time) error {
	s.observe(now)
	if !storable(name) {
		return wrap(op, errName)
	}
	err := s.pool.run(ctx, func(ctx context.Context, c *pgx.Conn) error {
		_, err := c.Exec(ctx, query, name, value, now)
		return err
	})
	return wrap(op, err)
}

// ReserveSend records now as the user's last send unless one was
// reserved after now-gap (store.ErrTooSoon); see store.Store. One
// conditional upsert (sqlReserveSend), one round trip.
func (s *Store) ReserveSend(ctx context.Context, name string, now time.Time, gap time.Duration) error {
	s.observe(now)
	if !storable(name) {
		return wrap("reserve send", errName)
	}
	err := s.pool.run(ctx, func(ctx context.Context, c *pgx.Conn) error {
		var reserved bool
		return c.QueryRow(ctx, sqlReserveSend, name, now, now.Add(-gap)).Scan(&reserved)
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return store.ErrTooSoon
	}
	return wrap("reserve send", err)
}

// execOne runs one statement and returns none if it changed no row.
func (s *Store) execOne(ctx context.Context, none error, sql string, args ...any) error {
	return s.pool.run(ctx, func(ctx context.Context, c *pgx.Conn) error {
		tag, err := c.Exec(ctx, sql, args...)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return none
		}
		return nil
	})
}
