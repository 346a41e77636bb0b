package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"radiusd/store"
)

// Get returns the user, or store.ErrNotFound. A secret that does not
// decrypt (wrong key file, row copied from another user) is an error.
func (s *Store) Get(ctx context.Context, name string) (store.User, error) {
	u, err := s.scanUser(s.stmts.get.QueryRowContext(ctx, name))
	if errors.Is(err, sql.ErrNoRows) {
		return store.User{}, store.ErrNotFound
	}
	if err != nil {
		return store.User{}, fmt.Errorf("sqlstore: get: %w", err)
	}
	return u, nil
}

// List returns every user ordered by name (byte order).
func (s *Store) List(ctx context.Context) ([]store.User, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+userColumns+` FROM users u ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: list: %w", err)
	}
	defer rows.Close()
	users := []store.User{}
	for rows.Next() {
		u, err := s.scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlstore: list: %w", err)
		}
		users = append(users, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlstore: list: %w", err)
	}
	return users, nil
}

// scanner is a *sql.Row or *sql.Rows.
type scanner interface{ Scan(dest ...any) error }

// scanUser reads the userColumns of one row and opens its sealed secret.
func (s *Store) scanUser(sc scanner) (store.User, error) {
	var (
		u                                      store.User
		state, policy, method                  string
		sealed                                 []byte
		locked, enrolled, used, grace, created sql.NullInt64
	)
	err := sc.Scan(&u.Name, &state, &sealed, &u.TOTP.Digits, &u.TOTP.Period, &u.TOTP.Algorithm,
		&u.LastStep, &u.Drift, &policy, &u.Failures, &locked, &enrolled, &used,
		&grace, &created, &u.RecoveryLeft, &method)
	if err != nil {
		return store.User{}, err
	}
	u.State, u.Policy, u.Method = store.State(state), store.Policy(policy), store.Method(method)
	u.LockedUntil, u.EnrolledAt, u.LastUsed = fromMicros(locked), fromMicros(enrolled), fromMicros(used)
	u.GraceStarted, u.CreatedAt = fromMicros(grace), fromMicros(created)
	if sealed != nil {
		if u.TOTP.Secret, err = s.sealer.OpenSecret(sealed, u.Name); err != nil {
			return store.User{}, err
		}
	}
	return u, nil
}

// CountByState returns how many users are in each enrolment state (every
// state present, zero or not), for metrics. It reads no secret.
func (s *Store) CountByState(ctx context.Context) (map[store.State]int, error) {
	counts := map[store.State]int{store.StateNone: 0, store.StatePending: 0, store.StateActive: 0}
	rows, err := s.read.QueryContext(ctx, `SELECT state, count(*) FROM users GROUP BY state`)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: count by state: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var st string
		var n int
		if err := rows.Scan(&st, &n); err != nil {
			return nil, fmt.Errorf("sqlstore: count by state: %w", err)
		}
		counts[store.State(st)] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlstore: count by state: %w", err)
	}
	return counts, nil
}
