package sqlstore

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"radiusd/store"
	"time"
)

//go:embed migrations/sqlite/*.sql
var migrationFS embed.FS

// migrationDir holds this dialect's migrations, named NNNN_what.sql and
// numbered from 1 without gaps.
const migrationDir = "migrations/sqlite"

// migrations returns the embedded migrations in version order.
func migrations() ([]store.Migration, error) {
	all, err := store.LoadMigrations(migrationFS, migrationDir)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: %w", err)
	}
	return all, nil
}

// migrate applies the missing migrations in one transaction and records
// each in schema_version. Two processes opening a new file at once are
// serialised by the transaction's write lock; the second finds the work
// done. A schema newer than this binary knows is refused.
func migrate(ctx context.Context, db *sql.DB) error {
	all, err := migrations()
	if err != nil {
		return err
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlstore: migrate: %w", err)
	}
	defer tx.Rollback()
	current, err := schemaVersion(ctx, tx)
	if err != nil {
		return err
	}
	if current > len(all) {
		return fmt.Errorf("sqlstore: migrate: database schema version %d is newer than this radiusd (%d)", current, len(all))
	}
	for _, m := range all[current:] {
		if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
			return fmt.Errorf("sqlstore: migrate: %s: %w", m.Name, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_version (version, applied_at) VALUES (?, ?)`,
			m.Version, time.Now().Unix()); err != nil {
			return fmt.Errorf("sqlstore: migrate: %s: %w", m.Name, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlstore: migrate: %w", err)
	}
	return nil
}

// schemaVersion creates schema_version if needed and returns the highest
// applied version (0 for a new database). It also proves the database is
// writable: a write that changes nothing still needs the write lock, so a
// file this process can only read fails here rather than on the first login.
func schemaVersion(ctx context.Context, tx *sql.Tx) (int, error) {
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_version (
		version    INTEGER NOT NULL PRIMARY KEY,
		applied_at INTEGER NOT NULL)`); err != nil {
		return 0, fmt.Errorf("sqlstore: migrate: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM schema_version WHERE version < 0`); err != nil {
		return 0, fmt.Errorf("sqlstore: migrate: database is not writable: %w", err)
	}
	var current int
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_version`).Scan(&current); err != nil {
		return 0, fmt.Errorf("sqlstore: migrate: %w", err)
	}
	return current, nil
}
