package pgstore

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"radiusd/store"
)

// sqlEnroll stores a pending or active enrolment: $1 name, $2 state,
// $3 sealed secret, $4 digits, $5 period, $6 algorithm, $7 enrolled_at,
// $8 now, $9 force. An active enrolment is replaced only with force; the
// replay record, drift and recovery codes start again.
const sqlEnroll = `INSERT INTO users AS u (name, state, totp_secret, totp_digits, totp_period, totp_algorithm,
		last_step, drift, enrolled_at, created_at, recovery_left)
	VALUES ($1, $2, $3, $4, $5, $6, 0, 0, $7, $8, 0)
	ON CONFLICT (name) DO UPDATE SET state = excluded.state, totp_secret = excluded.totp_secret,
		totp_digits = excluded.totp_digits, totp_period = excluded.totp_period,
		totp_algorithm = excluded.totp_algorithm, last_step = 0, drift = 0,
		enrolled_at = excluded.enrolled_at, recovery_left = 0
	WHERE u.state <> 'active' OR $9::boolean`

// Enroll stores a new pending secret; see store.Store.
func (s *Store) Enroll(ctx context.Context, name string, totp store.TOTP, now time.Time, force bool) error {
	return wrap("enroll", s.enroll(ctx, name, store.StatePending, totp, now, force))
}

// Import stores an active enrolment directly; see store.Store.
func (s *Store) Import(ctx context.Context, name string, totp store.TOTP, now time.Time, force bool) error {
	return wrap("import", s.enroll(ctx, name, store.StateActive, totp, now, force))
}

// enroll runs sqlEnroll and deletes the recovery codes in one transaction.
func (s *Store) enroll(ctx context.Context, name string, state store.State, totp store.TOTP, now time.Time, force bool) error {
	s.observe(now)
	if !storable(name) {
		return errName
	}
	sealed, err := s.sealer.Seal(totp.Secret.Bytes(), []byte(name))
	if err != nil {
		return err
	}
	var enrolled any
	if state == store.StateActive {
		enrolled = now
	}
	return s.inTx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, sqlEnroll, name, string(state), sealed,
			totp.Digits, totp.Period, totp.Algorithm, enrolled, now, force)
		if err := oneRow(tag.RowsAffected(), err, store.ErrExists); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `DELETE FROM recovery_codes WHERE user_name = $1`, name)
		return err
	})
}

// Activate turns a pending enrolment active; see store.Store.
func (s *Store) Activate(ctx context.Context, name string, step int64, drift int, digests [][]byte, now time.Time) error {
	s.observe(now)
	if !storable(name) {
		return store.ErrNotPending
	}
	err := s.inTx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE users
			SET state = 'active', last_step = $1, drift = $2, enrolled_at = $3, last_used = $3
			WHERE name = $4 AND state = 'pending'`, step, drift, now, name)
		if err := oneRow(tag.RowsAffected(), err, store.ErrNotPending); err != nil {
			return err
		}
		return replaceCodes(ctx, tx, name, digests, now)
	})
	return wrap("activate", err)
}

// ReplaceRecoveryCodes swaps the user's codes for new ones; see
// store.Store.
func (s *Store) ReplaceRecoveryCodes(ctx context.Context, name string, digests [][]byte, now time.Time) error {
	s.observe(now)
	if !storable(name) {
		return store.ErrNotFound
	}
	err := s.inTx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		var one int
		err := tx.QueryRow(ctx, `SELECT 1 FROM users WHERE name = $1 AND state = 'active' FOR UPDATE`, name).Scan(&one)
		if errors.Is(err, pgx.ErrNoRows) {
			return store.ErrNotFound
		}
		if err != nil {
			return err
		}
		return replaceCodes(ctx, tx, name, digests, now)
	})
	return wrap("replace recovery codes", err)
}

// replaceCodes deletes every code of name, inserts digests and sets
// recovery_left to match. The caller has locked the user's row.
func replaceCodes(ctx context.Context, tx pgx.Tx, name string, digests [][]byte, now time.Time) error {
	for _, d := range digests {
		if len(d) == 0 {
			return errors.New("empty recovery-code digest")
		}
	}
	if _, err := tx.Exec(ctx, `DELETE FROM recovery_codes WHERE user_name = $1`, name); err != nil {
		return err
	}
	if len(digests) > 0 {
		if _, err := tx.Exec(ctx, `INSERT INTO recovery_codes (user_name, digest, created_at)
			SELECT $1, d, $3 FROM unnest($2::bytea[]) AS d`, name, digests, now); err != nil {
			return err
		}
	}
	_, err := tx.Exec(ctx, `UPDATE users SET recovery_left = $2 WHERE name = $1`, name, len(digests))
	return err
}

// UseRecoveryCode spends one unused code; see store.Store. One statement,
// one round trip.
func (s *Store) UseRecoveryCode(ctx context.Context, name string, digest []byte, now time.Time) error {
	s.observe(now)
	if len(digest) == 0 || !storable(name) {
		return store.ErrNotFound
	}
	return wrap("use recovery code", s.execOne(ctx, store.ErrNotFound, sqlUseCode, now, name, digest))
}

// Reset deletes the user's enrolment; see store.Store.
func (s *Store) Reset(ctx context.Context, name string) error {
	if !storable(name) {
		return store.ErrNotFound
	}
	err := s.inTx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE users SET state = 'none', totp_secret = NULL,
			totp_digits = 0, totp_period = 0, totp_algorithm = '', last_step = 0, drift = 0,
			enrolled_at = NULL, grace_started = NULL, recovery_left = 0
			WHERE name = $1`, name)
		if err := oneRow(tag.RowsAffected(), err, store.ErrNotFound); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `DELETE FROM recovery_codes WHERE user_name = $1`, name)
		return err
	})
	return wrap("reset", err)
}

// inTx runs f in a transaction on one connection, with the context f
// must use, and commits it if f returns nil; otherwise it rolls back and
// returns f's error.
func (s *Store) inTx(ctx context.Context, f func(ctx context.Context, tx pgx.Tx) error) error {
	return s.pool.run(ctx, func(ctx context.Context, c *pgx.Conn) error {
		return pgx.BeginFunc(ctx, c, func(tx pgx.Tx) error { return f(ctx, tx) })
	})
}

// oneRow turns the result of a conditional statement into nil (a row
// changed), the sentinel none (no row matched) or the statement's error.
func oneRow(rows int64, err error, none error) error {
	if err != nil {
		return err
	}
	if rows == 0 {
		return none
	}
	return nil
}
