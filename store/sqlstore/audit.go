package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"radiusd/store"
)

// sqlAddAudit appends one entry: ?1 time (Unix µs), ?2 actor, ?3 action,
// ?4 target, ?5 detail, ?6 remote. SQLite assigns the next rowid.
const sqlAddAudit = `INSERT INTO audit (at, actor, action, target, detail, remote) VALUES (?1, ?2, ?3, ?4, ?5, ?6)`

// AddAudit appends e to the audit trail in one statement on the write
// connection; see store.Store.
func (s *Store) AddAudit(ctx context.Context, e store.AuditEntry) error {
	if err := e.Check(); err != nil {
		return fmt.Errorf("sqlstore: add audit: %w", err)
	}
	_, err := s.write.ExecContext(ctx, sqlAddAudit, e.Time.UnixMicro(), e.Actor, e.Action, e.Target, e.Detail, e.Remote)
	return wrap("add audit", err)
}

// ListAudit returns the entries q selects, newest first, from the read
// pool; see store.Store.
func (s *Store) ListAudit(ctx context.Context, q store.AuditQuery) ([]store.AuditEntry, error) {
	if err := q.Check(); err != nil {
		return nil, fmt.Errorf("sqlstore: list audit: %w", err)
	}
	query, args := store.AuditSQL(q, "?")
	rows, err := s.read.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: list audit: %w", err)
	}
	defer rows.Close()
	entries := []store.AuditEntry{}
	for rows.Next() {
		e, err := scanAudit(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlstore: list audit: %w", err)
		}
		entries = append(entries, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlstore: list audit: %w", err)
	}
	return entries, nil
}

// scanAudit reads the store.AuditColumns of one row.
func scanAudit(sc scanner) (store.AuditEntry, error) {
	var e store.AuditEntry
	var at int64
	if err := sc.Scan(&e.ID, &at, &e.Actor, &e.Action, &e.Target, &e.Detail, &e.Remote); err != nil {
		return store.AuditEntry{}, err
	}
	e.Time = time.UnixMicro(at).UTC()
	return e, nil
}

// ExportAudit calls fn with every audit entry, oldest first, read in one
// transaction; see store.Copier.
func (s *Store) ExportAudit(ctx context.Context, fn func(store.AuditEntry) error) error {
	tx, err := s.read.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return fmt.Errorf("sqlstore: export audit: %w", err)
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, `SELECT `+store.AuditColumns+` FROM audit ORDER BY id`)
	if err != nil {
		return fmt.Errorf("sqlstore: export audit: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		e, err := scanAudit(rows)
		if err != nil {
			return fmt.Errorf("sqlstore: export audit: %w", err)
		}
		if err := fn(e); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("sqlstore: export audit: %w", err)
	}
	return nil
}

// RestoreAudit appends entries in their order in one transaction; see
// store.Copier.
func (s *Store) RestoreAudit(ctx context.Context, entries []store.AuditEntry) error {
	for _, e := range entries {
		if err := e.Check(); err != nil {
			return fmt.Errorf("sqlstore: restore audit: %w", err)
		}
	}
	if len(entries) == 0 {
		return nil
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		ins, err := tx.PrepareContext(ctx, sqlAddAudit)
		if err != nil {
			return err
		}
		defer ins.Close()
		for _, e := range entries {
			if _, err := ins.ExecContext(ctx, e.Time.UnixMicro(), e.Actor, e.Action, e.Target, e.Detail, e.Remote); err != nil {
				return err
			}
		}
		return nil
	})
	return wrap("restore audit", err)
}
