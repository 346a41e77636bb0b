package pgstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"radiusd/store"
)

// Get returns the user, or store.ErrNotFound. A secret that does not
// decrypt (wrong key file, row copied from another user) is an error.
// One round trip.
func (s *Store) Get(ctx context.Context, name string) (store.User, error) {
	if !storable(name) {
		return store.User{}, store.ErrNotFound
	}
	var u store.User
	err := s.pool.run(ctx, func(ctx context.Context, c *pgx.Conn) error {
		var err error
		u, err = s.scanUser(c.QueryRow(ctx, sqlGet, name))
		return err
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return store.User{}, store.ErrNotFound
	}
	if err != nil {
		return store.User{}, fmt.Errorf("pgstore: get: %w", err)
	}
	return u, nil
}

// List returns every user ordered by name (byte order).
func (s *Store) List(ctx context.Context) ([]store.User, error) {
	var users []store.User
	err := s.pool.run(ctx, func(ctx context.Context, c *pgx.Conn) error {
		users = []store.User{}
		rows, err := c.Query(ctx, `SELECT `+userColumns+` FROM users ORDER BY name`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			u, err := s.scanUser(rows)
			if err != nil {
				return err
			}
			users = append(users, u)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("pgstore: list: %w", err)
	}
	return users, nil
}

// scanUser reads the userColumns of one row and opens its sealed secret.
func (s *Store) scanUser(row pgx.Row) (store.User, error) {
	var (
		u                                      store.User
		state, policy, method                  string
		sealed                                 []byte
		locked, enrolled, used, grace, created *time.Time
	)
	err := row.Scan(&u.Name, &state, &sealed, &u.TOTP.Digits, &u.TOTP.Period, &u.TOTP.Algorithm,
		&u.LastStep, &u.Drift, &policy, &u.Failures, &locked, &enrolled, &used,
		&grace, &created, &u.RecoveryLeft, &method)
	if err != nil {
		return store.User{}, err
	}
	u.State, u.Policy, u.Method = store.State(state), store.Policy(policy), store.Method(method)
	u.LockedUntil, u.EnrolledAt, u.LastUsed = utcTime(locked), utcTime(enrolled), utcTime(used)
	u.GraceStarted, u.CreatedAt = utcTime(grace), utcTime(created)
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
	var counts map[store.State]int
	err := s.pool.run(ctx, func(ctx context.Context, c *pgx.Conn) error {
		counts = map[store.State]int{store.StateNone: 0, store.StatePending: 0, store.StateActive: 0}
		rows, err := c.Query(ctx, `SELECT state, count(*) FROM users GROUP BY state`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var st string
			var n int
			if err := rows.Scan(&st, &n); err != nil {
				return err
			}
			counts[store.State(st)] = n
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("pgstore: count by state: %w", err)
	}
	return counts, nil
}
