package pgstore

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"radiusd/store"
)

// sqlAddAudit appends one entry: $1 time, $2 actor, $3 action, $4 target,
// $5 detail, $6 remote. The identity column assigns the ID.
const sqlAddAudit = `INSERT INTO audit (at, actor, action, target, detail, remote) VALUES ($1, $2, $3, $4, $5, $6)`

// AddAudit appends e to the audit trail in one statement (one round
// trip); see store.Store.
func (s *Store) AddAudit(ctx context.Context, e store.AuditEntry) error {
	if err := e.Check(); err != nil {
		return fmt.Errorf("pgstore: add audit: %w", err)
	}
	err := s.pool.run(ctx, func(ctx context.Context, c *pgx.Conn) error {
		_, err := c.Exec(ctx, sqlAddAudit, e.Time, e.Actor, e.Action, e.Target, e.Detail, e.Remote)
		return err
	})
	return wrap("add audit", err)
}

// ListAudit returns the entries q selects, newest first (one round trip);
// see store.Store.
func (s *Store) ListAudit(ctx context.Context, q store.AuditQuery) ([]store.AuditEntry, error) {
	if err := q.Check(); err != nil {
		return nil, fmt.Errorf("pgstore: list audit: %w", err)
	}
	query, args := store.AuditSQL(q, "$")
	var entries []store.AuditEntry
	err := s.pool.run(ctx, func(ctx context.Context, c *pgx.Conn) error {
		entries = []store.AuditEntry{}
		rows, err := c.Query(ctx, query, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			e, err := scanAudit(rows)
			if err != nil {
				return err
			}
			entries = append(entries, e)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("pgstore: list audit: %w", err)
	}
	return entries, nil
}

// scanAudit reads the store.AuditColumns of one row.
func scanAudit(row pgx.Row) (store.AuditEntry, error) {
	var e store.AuditEntry
	if err := row.Scan(&e.ID, &e.Time, &e.Actor, &e.Action, &e.Target, &e.Detail, &e.Remote); err != nil {
		return store.AuditEntry{}, err
	}
	e.Time = e.Time.UTC()
	return e, nil
}

// ExportAudit calls fn with every audit entry, oldest first, read in one
// REPEATABLE READ transaction; only ctx bounds it, as for Export. See
// store.Copier.
func (s *Store) ExportAudit(ctx context.Context, fn func(store.AuditEntry) error) error {
	return s.snapshot(ctx, "export audit", func(ctx context.Context, tx pgx.Tx, emit func(error) error) error {
		rows, err := tx.Query(ctx, `SELECT `+store.AuditColumns+` FROM audit ORDER BY id`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			e, err := scanAudit(rows)
			if err != nil {
				return err
			}
			if err := emit(fn(e)); err != nil {
				return err
			}
		}
		return rows.Err()
	})
}

// RestoreAudit appends entries in their order in one transaction, by one
// COPY (the identity column numbers the rows as they come); see
// store.Copier.
func (s *Store) RestoreAudit(ctx context.Context, entries []store.AuditEntry) error {
	rows := make([][]any, len(entries))
	for i, e := range entries {
		if err := e.Check(); err != nil {
			return fmt.Errorf("pgstore: restore audit: %w", err)
		}
		rows[i] = []any{e.Time, e.Actor, e.Action, e.Target, e.Detail, e.Remote}
	}
	if len(rows) == 0 {
		return nil
	}
	err := s.inTx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		_, err := tx.CopyFrom(ctx, pgx.Identifier{"audit"},
			[]string{"at", "actor", "action", "target", "detail", "remote"}, pgx.CopyFromRows(rows))
		return err
	})
	return wrap("restore audit", err)
}
