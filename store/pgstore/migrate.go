package pgstore

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"radiusd/store"

	"github.com/jackc/pgx/v5"
)

//go:embed migrations/postgres/*.sql
var migrationFS embed.FS

// migrationDir holds this dialect's migrations, named NNNN_what.sql and
// numbered from 1 without gaps.
const migrationDir = "migrations/postgres"

// migrateLockKey is the pg_advisory_xact_lock key ("radiusd" in ASCII)
// that serialises the nodes opening one database at the same time.
// Advisory locks are per database, so other databases are not affected.
const migrateLockKey int64 = 0x72616469757364

// migrations returns the embedded migrations in version order.
func migrations() ([]store.Migration, error) {
	all, err := store.LoadMigrations(migrationFS, migrationDir)
	if err != nil {
		return nil, fmt.Errorf("pgstore: %w", err)
	}
	return all, nil
}

// setup checks the database, applies the missing migrations and checks
// the key, all in one transaction holding the migration lock: two nodes
// starting at once queue there, and the second finds the work done.
// Only ctx bounds it (statement_timeout is lifted: a migration may be
// long, and the lock may be held by a node that is migrating).
func (s *Store) setup(ctx context.Context) error {
	all, err := migrations()
	if err != nil {
		return err
	}
	err = s.pool.runNoBudget(ctx, func(ctx context.Context, c *pgx.Conn) error {
		return pgx.BeginFunc(ctx, c, func(tx pgx.Tx) error {
			if err := checkDatabase(ctx, tx, true); err != nil {
				return err
			}
			if err := migrate(ctx, tx, all); err != nil {
				return err
			}
			return s.checkKey(ctx, tx)
		})
	})
	if err != nil && !errors.Is(err, ErrWrongKey) {
		return fmt.Errorf("pgstore: open: %w", err)
	}
	return err
}

// checkDatabase refuses a read-only session (a standby) and a database
// whose encoding cannot hold every user name, then, if lock is true, lifts
// the statement timeout and takes the migration lock. Without lock (for
// Inspect's read-only transaction) it asks whether the session could write.
func checkDatabase(ctx context.Context, tx pgx.Tx, lock bool) error {
	var readOnly, recovery, encoding string
	err := tx.QueryRow(ctx, `SELECT current_setting('default_transaction_read_only'), pg_is_in_recovery()::text, current_setting('server_encoding')`).
		Scan(&readOnly, &recovery, &encoding)
	if err != nil {
		return err
	}
	if readOnly == "on" || recovery == "true" {
		return errors.New("the database is read-only (a standby?); point the dsn at the primary, " +
			"for example with several hosts and target_session_attrs=read-write")
	}
	if encoding != "UTF8" {
		return fmt.Errorf("the database encoding is %s, not UTF8; create it with "+
			"CREATE DATABASE … ENCODING 'UTF8' TEMPLATE template0", encoding)
	}
	if !lock {
		return nil
	}
	if _, err := tx.Exec(ctx, `SET LOCAL statement_timeout = 0`); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, migrateLockKey); err != nil {
		return fmt.Errorf("migrate: lock: %w", err)
	}
	return nil
}

// migrate applies the migrations after the database's schema version and
// records each in schema_version. A schema newer than this binary knows
// is refused.
func migrate(ctx context.Context, tx pgx.Tx, all []store.Migration) error {
	current, err := schemaVersion(ctx, tx)
	if err != nil {
		return err
	}
	if current > len(all) {
		return fmt.Errorf("migrate: database schema version %d is newer than this radiusd (%d)", current, len(all))
	}
	for _, m := range all[current:] {
		if _, err := tx.Exec(ctx, m.SQL); err != nil {
			return fmt.Errorf("migrate: %s: %w", m.Name, err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO schema_version (version) VALUES ($1)`, m.Version); err != nil {
			return fmt.Errorf("migrate: %s: %w", m.Name, err)
		}
	}
	return nil
}

// schemaVersion creates schema_version if it is missing and returns the
// highest applied version (0 for a new database). A database that is
// already up to date needs no CREATE privilege.
func schemaVersion(ctx context.Context, tx pgx.Tx) (int, error) {
	var exists bool
	if err := tx.QueryRow(ctx, `SELECT to_regclass('schema_version') IS NOT NULL`).Scan(&exists); err != nil {
		return 0, fmt.Errorf("migrate: %w", err)
	}
	if !exists {
		if _, err := tx.Exec(ctx, `CREATE TABLE schema_version (
			version    integer     NOT NULL PRIMARY KEY,
			applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
			return 0, fmt.Errorf("migrate: %w", err)
		}
	}
	var current int
	if err := tx.QueryRow(ctx, `SELECT COALESCE(max(version), 0) FROM schema_version`).Scan(&current); err != nil {
		return 0, fmt.Errorf("migrate: %w", err)
	}
	return current, nil
}
