package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// userColumns are the columns scanUser reads, in order. recovery_left is
// kept by triggers on recovery_codes (migration 0003).
const userColumns = `name, state, totp_secret, totp_digits, totp_period, totp_algorithm,
	last_step, drift, policy, failures, locked_until, enrolled_at, last_used,
	grace_started, created_at, recovery_left, method`

// SQL of the statements prepared once at Open: the request path.
const (
	sqlGet = `SELECT ` + userColumns + ` FROM users u WHERE name = ?1`

	sqlState = `SELECT state FROM users WHERE name = ?1`

	// ?1 step, ?2 drift, ?3 now, ?4 name.
	sqlAccept = `UPDATE users SET last_step = ?1, drift = ?2, last_used = ?3, failures = 0, failure_fp = NULL
		WHERE name = ?4 AND state = 'active' AND last_step < ?1`

	// ?1 name, ?2 fingerprint (NULL: none), ?3 MaxFailures (≤ 0: never
	// lock), ?4 lock expiry, ?5 now, ?6 failures and ?7 lock of a new row.
	// A failure whose fingerprint equals the last counted one changes
	// nothing; one that reaches MaxFailures locks and resets the count.
	sqlFailure = `INSERT INTO users (name, failures, failure_fp, locked_until, created_at)
		VALUES (?1, ?6, ?2, ?7, ?5)
		ON CONFLICT (name) DO UPDATE SET
			failures = CASE
				WHEN users.failure_fp = excluded.failure_fp THEN users.failures
				WHEN ?3 > 0 AND users.failures + 1 >= ?3 THEN 0
				ELSE users.failures + 1 END,
			locked_until = CASE
				WHEN users.failure_fp = excluded.failure_fp THEN users.locked_until
				WHEN ?3 > 0 AND users.failures + 1 >= ?3 THEN ?4
				ELSE users.locked_until END,
			failure_fp = excluded.failure_fp
		RETURNING locked_until`

	// ?1 name, ?2 now.
	sqlGrace = `INSERT INTO users (name, grace_started, created_at) VALUES (?1, ?2, ?2)
		ON CONFLICT (name) DO UPDATE SET grace_started = COALESCE(users.grace_started, excluded.grace_started)
		RETURNING grace_started`

	// ?1 name, ?2 now, ?3 now - gap. The upsert updates last_send only if
	// no send is recorded after ?3; RETURNING gives no row otherwise.
	sqlReserveSend = `INSERT INTO users (name, last_send, created_at) VALUES (?1, ?2, ?2)
		ON CONFLICT (name) DO UPDATE SET last_send = excluded.last_send
		WHERE users.last_send IS NULL OR users.last_send <= ?3
		RETURNING 1`

	sqlTake = `DELETE FROM challenges WHERE id_digest = ?1 RETURNING user_name, client, expires, code`
)

// statements are prepared once: the read ones on the read pool, the
// others on the write connection.
type statements struct {
	get, state                         *sql.Stmt // read pool
	accept, failure, grace, take, send *sql.Stmt // write connection
}

// prepare prepares every statement of s.stmts.
func (s *Store) prepare(ctx context.Context) error {
	for _, p := range []struct {
		dst **sql.Stmt
		db  *sql.DB
		sql string
	}{
		{&s.stmts.get, s.read, sqlGet},
		{&s.stmts.state, s.read, sqlState},
		{&s.stmts.accept, s.write, sqlAccept},
		{&s.stmts.failure, s.write, sqlFailure},
		{&s.stmts.grace, s.write, sqlGrace},
		{&s.stmts.take, s.write, sqlTake},
		{&s.stmts.send, s.write, sqlReserveSend},
	} {
		stmt, err := p.db.PrepareContext(ctx, p.sql)
		if err != nil {
			return fmt.Errorf("sqlstore: prepare: %w", err)
		}
		*p.dst = stmt
	}
	return nil
}

// close closes every prepared statement.
func (st *statements) close() error {
	var errs []error
	for _, stmt := range []*sql.Stmt{st.get, st.state, st.accept, st.failure, st.grace, st.take, st.send} {
		if stmt != nil {
			errs = append(errs, stmt.Close())
		}
	}
	return errors.Join(errs...)
}
