package sqlstore

import (
	"context"
	"database/sql"
	"fmt"

	"radiusd/store"
)

var _ store.Copier = (*Store)(nil)

// Export calls fn with every user's record in name order, read in one
// transaction, so that users and recovery codes come from one snapshot.
func (s *Store) Export(ctx context.Context, fn func(store.Record) error) error {
	tx, err := s.read.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return fmt.Errorf("sqlstore: export: %w", err)
	}
	defer tx.Rollback()
	codes, err := unusedCodes(ctx, tx)
	if err != nil {
		return fmt.Errorf("sqlstore: export: %w", err)
	}
	rows, err := tx.QueryContext(ctx, `SELECT `+userColumns+` FROM users u ORDER BY name`)
	if err != nil {
		return fmt.Errorf("sqlstore: export: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		u, err := s.scanUser(rows)
		if err != nil {
			return fmt.Errorf("sqlstore: export: %w", err)
		}
		if err := fn(store.Record{User: u, Recovery: codes[u.Name]}); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("sqlstore: export: %w", err)
	}
	return nil
}

// unusedCodes returns the digests of every unused recovery code by user.
func unusedCodes(ctx context.Context, tx *sql.Tx) (map[string][][]byte, error) {
	rows, err := tx.QueryContext(ctx, `SELECT user_name, digest FROM recovery_codes WHERE used_at IS NULL ORDER BY user_name, digest`)
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

// sqlRestore inserts a whole user row; ?1 … ?15 in userColumns' order up
// to created_at, then ?16 method (recovery_left follows from the codes,
// and the last send is not copied). ON CONFLICT DO NOTHING turns a known
// name into no row.
const sqlRestore = `INSERT INTO users (name, state, totp_secret, totp_digits, totp_period, totp_algorithm,
		last_step, drift, policy, failures, locked_until, enrolled_at, last_used, grace_started, created_at,
		method)
	VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)
	ON CONFLICT (name) DO NOTHING`

// Restore stores r for a name this store does not know, sealing the
// secret under this store's key; store.ErrExists if it knows the name.
func (s *Store) Restore(ctx context.Context, r store.Record) error {
	u := r.User
	var sealed []byte
	if u.State != store.StateNone {
		var err error
		if sealed, err = s.sealer.Seal(u.TOTP.Secret.Bytes(), []byte(u.Name)); err != nil {
			return wrap("restore", err)
		}
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, sqlRestore, u.Name, string(u.State), sealed,
			u.TOTP.Digits, u.TOTP.Period, u.TOTP.Algorithm, u.LastStep, u.Drift, string(u.Policy),
			u.Failures, micros(u.LockedUntil), micros(u.EnrolledAt), micros(u.LastUsed),
			micros(u.GraceStarted), u.CreatedAt.UnixMicro(), string(u.Method))
		if err := oneRow(res, err, store.ErrExists); err != nil {
			return err
		}
		return replaceCodes(ctx, tx, u.Name, r.Recovery, u.CreatedAt)
	})
	return wrap("restore", err)
}
