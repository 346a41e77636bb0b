package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"radiusd/store"
)

// AcceptStep records step as used if it is later than the last accepted
// one; see store.Store. The decision is the single conditional UPDATE; the
// follow-up read only tells ErrReplay from ErrNotFound after a refusal.
func (s *Store) AcceptStep(ctx context.Context, name string, step int64, drift int, now time.Time) error {
	s.observe(now)
	err := s.writeBatched(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, err := tx.StmtContext(ctx, s.stmts.accept).ExecContext(ctx, step, drift, now.UnixMicro(), name)
		return oneRow(res, err, store.ErrReplay)
	})
	if !errors.Is(err, store.ErrReplay) {
		return wrap("accept step", err)
	}
	var state string
	err = s.stmts.state.QueryRowContext(ctx, name).Scan(&state)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return store.ErrNotFound
	case err != nil:
		return wrap("accept step", err)
	case state != string(store.StateActive):
		return store.ErrNotFound
	}
	return store.ErrReplay
}

// RecordFailure counts one failed second factor in a single upsert; see
// store.Store and store.Failure.
func (s *Store) RecordFailure(ctx context.Context, name string, f store.Failure) (time.Time, error) {
	s.observe(f.Now)
	var fp any // NULL: an empty fingerprint never equals the last one
	if len(f.Fingerprint) > 0 {
		fp = f.Fingerprint
	}
	lock := f.Now.Add(f.LockFor).UnixMicro()
	newFailures, newLock := 1, sql.NullInt64{}
	if f.MaxFailures == 1 {
		newFailures, newLock = 0, sql.NullInt64{Int64: lock, Valid: true}
	}
	var until sql.NullInt64
	err := s.writeBatched(ctx, func(ctx context.Context, tx *sql.Tx) error {
		return tx.StmtContext(ctx, s.stmts.failure).QueryRowContext(ctx, name, fp, f.MaxFailures, lock,
			f.Now.UnixMicro(), newFailures, newLock).Scan(&until)
	})
	if err != nil {
		return time.Time{}, wrap("record failure", err)
	}
	if t := fromMicros(until); t.After(f.Now) {
		return t, nil
	}
	return time.Time{}, nil
}

// Unlock clears the failure count and any lockout, or returns
// store.ErrNotFound for an unknown user.
func (s *Store) Unlock(ctx context.Context, name string) error {
	res, err := s.write.ExecContext(ctx, `UPDATE users SET failures = 0, failure_fp = NULL, locked_until = NULL
		WHERE name = ?1`, name)
	return wrap("unlock", oneRow(res, err, store.ErrNotFound))
}

// StartGrace records the first start of the user's grace period; see
// store.Store.
func (s *Store) StartGrace(ctx context.Context, name string, now time.Time) (time.Time, error) {
	s.observe(now)
	var start sql.NullInt64
	if err := s.stmts.grace.QueryRowContext(ctx, name, now.UnixMicro()).Scan(&start); err != nil {
		return time.Time{}, wrap("start grace", err)
	}
	return fromMicros(start), nil
}

// SetPolicy stores the per-user override, creating the user if needed.
func (s *Store) SetPolicy(ctx context.Context, name string, p store.Policy, now time.Time) error {
	s.observe(now)
	_, err := s.write.ExecContext(ctx, `INSERT INTO users (name, policy, created_at) VALUES (?1, ?2, ?3)
		ON CONFLICT (name) DO UPDATE SET policy = excluded.policy`, name, string(p), now.UnixMicro())
	return wrap("set policy", err)
}

// SetMethod stores the user's second-factor method, creating the user if
// needed; the schema's CHECK refuses an unknown method.
func (s *Store) SetMethod(ctx context.Context, name string, m store.Method, now time.Time) error {
	s.observe(now)
	_, err := s.write.ExecContext(ctx, `INSERT INTO users (name, method, created_at) VALUES (?1, ?2, ?3)
		ON CONFLICT (name) DO UPDATE SET method = excluded.method`, name, string(m), now.UnixMicro())
	return wrap("set method", err)
}

// ReserveSend records now as the user's last send unless one was
// reserved after now-gap (store.ErrTooSoon); see store.Store. One
// conditional upsert, batched with the other request-path writes.
func (s *Store) ReserveSend(ctx context.Context, name string, now time.Time, gap time.Duration) error {
	s.observe(now)
	err := s.writeBatched(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var one int
		err := tx.StmtContext(ctx, s.stmts.send).
			QueryRowContext(ctx, name, now.UnixMicro(), now.Add(-gap).UnixMicro()).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return store.ErrTooSoon
		}
		return err
	})
	return wrap("reserve send", err)
}
