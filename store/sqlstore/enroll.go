package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"radiusd/store"
)

// sqlEnroll stores a pending or active enrolment: ?1 name, ?2 state,
// ?3 sealed secret, ?4 digits, ?5 period, ?6 algorithm, ?7 enrolled_at,
// ?8 now, ?9 force. An active enrolment is replaced only with force; the
// replay record and drift start again.
const sqlEnroll = `INSERT INTO users (name, state, totp_secret, totp_digits, totp_period, totp_algorithm,
		last_step, drift, enrolled_at, created_at)
	VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0, 0, ?7, ?8)
	ON CONFLICT (name) DO UPDATE SET state = excluded.state, totp_secret = excluded.totp_secret,
		totp_digits = excluded.totp_digits, totp_period = excluded.totp_period,
		totp_algorithm = excluded.totp_algorithm, last_step = 0, drift = 0, enrolled_at = excluded.enrolled_at
	WHERE users.state <> 'active' OR ?9`

// Enroll stores a new pending secret; see store.Store.
func (s *Store) Enroll(ctx context.Context, name string, totp store.TOTP, now time.Time, force bool) error {
	return wrap("enroll", s.enroll(ctx, name, store.StatePending, totp, now, force))
}

// Import stores an active enrolment directly; see store.Store.
func (s *Store) Import(ctx context.Context, name string, totp store.TOTP, now time.Time, force bool) error {
	return wrap("import", s.enroll(ctx, name, store.StateActive, totp, now, force))
}

// enroll runs sqlEnroll and clears the recovery codes in one transaction.
func (s *Store) enroll(ctx context.Context, name string, state store.State, totp store.TOTP, now time.Time, force bool) error {
	s.observe(now)
	sealed, err := s.sealer.Seal(totp.Secret.Bytes(), []byte(name))
	if err != nil {
		return err
	}
	var enrolled sql.NullInt64
	if state == store.StateActive {
		enrolled = micros(now)
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, sqlEnroll, name, string(state), sealed,
			totp.Digits, totp.Period, totp.Algorithm, enrolled, now.UnixMicro(), force)
		if err := oneRow(res, err, store.ErrExists); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM recovery_codes WHERE user_name = ?1`, name)
		return err
	})
}

// Activate turns a pending enrolment active; see store.Store.
func (s *Store) Activate(ctx context.Context, name string, step int64, drift int, digests [][]byte, now time.Time) error {
	s.observe(now)
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE users
			SET state = 'active', last_step = ?1, drift = ?2, enrolled_at = ?3, last_used = ?3
			WHERE name = ?4 AND state = 'pending'`, step, drift, now.UnixMicro(), name)
		if err := oneRow(res, err, store.ErrNotPending); err != nil {
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
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var one int
		err := tx.QueryRowContext(ctx, `SELECT 1 FROM users WHERE name = ?1 AND state = 'active'`, name).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return store.ErrNotFound
		}
		if err != nil {
			return err
		}
		return replaceCodes(ctx, tx, name, digests, now)
	})
	return wrap("replace recovery codes", err)
}

// replaceCodes deletes every code of name and inserts digests.
func replaceCodes(ctx context.Context, tx *sql.Tx, name string, digests [][]byte, now time.Time) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM recovery_codes WHERE user_name = ?1`, name); err != nil {
		return err
	}
	if len(digests) == 0 {
		return nil
	}
	ins, err := tx.PrepareContext(ctx, `INSERT INTO recovery_codes (user_name, digest, created_at) VALUES (?1, ?2, ?3)`)
	if err != nil {
		return err
	}
	defer ins.Close()
	for _, d := range digests {
		if len(d) == 0 {
			return errors.New("empty recovery-code digest")
		}
		if _, err := ins.ExecContext(ctx, name, d, now.UnixMicro()); err != nil {
			return err
		}
	}
	return nil
}

// UseRecoveryCode spends one unused code; see store.Store.
func (s *Store) UseRecoveryCode(ctx context.Context, name string, digest []byte, now time.Time) error {
	s.observe(now)
	if len(digest) == 0 {
		return store.ErrNotFound
	}
	err := s.writeBatched(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE recovery_codes SET used_at = ?1
			WHERE user_name = ?2 AND digest = ?3 AND used_at IS NULL`, now.UnixMicro(), name, digest)
		if err := oneRow(res, err, store.ErrNotFound); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE users SET last_used = ?1, failures = 0, failure_fp = NULL
			WHERE name = ?2`, now.UnixMicro(), name)
		return err
	})
	return wrap("use recovery code", err)
}

// Reset deletes the user's enrolment; see store.Store.
func (s *Store) Reset(ctx context.Context, name string) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE users SET state = 'none', totp_secret = NULL,
			totp_digits = 0, totp_period = 0, totp_algorithm = '', last_step = 0, drift = 0,
			enrolled_at = NULL, grace_started = NULL
			WHERE name = ?1`, name)
		if err := oneRow(res, err, store.ErrNotFound); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM recovery_codes WHERE user_name = ?1`, name)
		return err
	})
	return wrap("reset", err)
}

// wrap prefixes a backend error with the operation; it returns nil and the
// store sentinels unchanged, so callers match them with errors.Is.
func wrap(op string, err error) error {
	if err == nil || errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrReplay) ||
		errors.Is(err, store.ErrExists) || errors.Is(err, store.ErrNotPending) || errors.Is(err, store.ErrTooSoon) {
		return err
	}
	return fmt.Errorf("sqlstore: %s: %w", op, err)
}

// inTx runs f in a write transaction (BEGIN IMMEDIATE) and commits it if f
// returns nil.
func (s *Store) inTx(ctx context.Context, f func(tx *sql.Tx) error) error {
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := f(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}

// oneRow turns the result of a conditional statement into none (a row
// changed), the sentinel none (no row matched) or the statement's error.
func oneRow(res sql.Result, err error, none error) error {
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return none
	}
	return nil
}
