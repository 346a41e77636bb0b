package pgstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"radiusd/store"
)

var _ store.Copier = (*Store)(nil)

// Export calls fn with every user's record in name order, read in one
// REPEATABLE READ transaction, so that users and recovery codes come from
// one snapshot. Only ctx bounds it (statement_timeout is lifted: fn may be
// slow, as when it writes each record to another store).
func (s *Store) Export(ctx context.Context, fn func(store.Record) error) error {
	return s.snapshot(ctx, "export", func(ctx context.Context, tx pgx.Tx, emit func(error) error) error {
		codes, err := unusedCodes(ctx, tx)
		if err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT `+userColumns+` FROM users ORDER BY name`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			u, err := s.scanUser(rows)
			if err != nil {
				return err
			}
			if err := emit(fn(store.Record{User: u, Recovery: codes[u.Name]})); err != nil {
				return err
			}
		}
		return rows.Err()
	})
}

// errStopped ends a snapshot whose caller's function returned an error.
var errStopped = errors.New("pgstore: stopped by the caller")

// snapshot runs body in one read-only REPEATABLE READ transaction without
// the statement budget (only ctx bounds it: an export may be long). body
// passes each result of the caller's function to emit; the first error
// stops the snapshot and is returned as it is, never wrapped or retried.
// Any other failure is wrapped with op.
func (s *Store) snapshot(ctx context.Context, op string, body func(ctx context.Context, tx pgx.Tx, emit func(error) error) error) error {
	var fnErr error
	emit := func(err error) error {
		if err != nil {
			fnErr = err
			return errStopped
		}
		return nil
	}
	err := s.pool.runNoBudget(ctx, func(ctx context.Context, c *pgx.Conn) error {
		opts := pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}
		return pgx.BeginTxFunc(ctx, c, opts, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, `SET LOCAL statement_timeout = 0`); err != nil {
				return err
			}
			return body(ctx, tx, emit)
		})
	})
	if fnErr != nil {
		return fnErr
	}
	if err != nil {
		return fmt.Errorf("pgstore: %s: %w", op, err)
	}
	return nil
}

// unusedCodes returns the digests of every unused recovery code by user.
func unusedCodes(ctx context.Context, tx pgx.Tx) (map[string][][]byte, error) {
	rows, err := tx.Query(ctx, `SELECT user_name, digest FROM recovery_codes WHERE used_at IS NULL ORDER BY user_name, digest`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	codes := map[string][][]byte{}
	for rows.Next() {
		var name string
		var digest []byte
		if err := rows.Scan(&name, &digest); err != nil {
			return nil, err
		}
		codes[name] = append(codes[name], digest)
	}
	return codes, rows.Err()
}

// sqlRestore inserts a whole user row; $1 … $15 in userColumns' order up
// to created_at, then $16 method (recovery_left follows from the codes,
// and the last send is not copied). ON CONFLICT DO NOTHING turns a known
// name into no row.
const sqlRestore = `INSERT INTO users (name, state, totp_secret, totp_digits, totp_period, totp_algorithm,
		last_step, drift, policy, failures, locked_until, enrolled_at, last_used, grace_started, created_at,
		method)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
	ON CONFLICT (name) DO NOTHING`

// Restore stores r for a name this store does not know, sealing the
// secret under this store's key, in one transaction; store.ErrExists if it
// knows the name.
func (s *Store) Restore(ctx context.Context, r store.Record) error {
	u := r.User
	if !storable(u.Name) {
		return wrap("restore", errName)
	}
	var sealed []byte
	if u.State != store.StateNone {
		var err error
		if sealed, err = s.sealer.Seal(u.TOTP.Secret.Bytes(), []byte(u.Name)); err != nil {
			return wrap("restore", err)
		}
	}
	err := s.inTx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, sqlRestore, u.Name, string(u.State), sealed,
			u.TOTP.Digits, u.TOTP.Period, u.TOTP.Algorithm, u.LastStep, u.Drift, string(u.Policy),
			u.Failures, timeOrNull(u.LockedUntil), timeOrNull(u.EnrolledAt), timeOrNull(u.LastUsed),
			timeOrNull(u.GraceStarted), u.CreatedAt, string(u.Method))
		if err := oneRow(tag.RowsAffected(), err, store.ErrExists); err != nil {
			return err
		}
		return replaceCodes(ctx, tx, u.Name, r.Recovery, u.CreatedAt)
	})
	return wrap("restore", err)
}

// timeOrNull returns nil (SQL NULL) for the zero time, else t.
func timeOrNull(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}
