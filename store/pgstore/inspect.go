package pgstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"radiusd/store"
)

// Status is what Inspect finds in a database, for radiusd check.
type Status struct {
	// SchemaVersion is the highest applied migration, 0 for a database
	// radiusd has never opened; Latest is the one this radiusd brings.
	SchemaVersion, Latest int
	// KeyChecked tells whether the database holds a key check (it does
	// once any node has opened it); KeyMatches whether the key opened it.
	KeyChecked, KeyMatches bool
}

// Inspect connects once to the database of opts.DSN and reports its schema
// version and whether opts.Key is its key, changing nothing. It fails if
// the database cannot be reached, is read-only or is not UTF8.
func Inspect(ctx context.Context, opts Options) (Status, error) {
	cfg, err := opts.connConfig()
	if err != nil {
		return Status{}, err
	}
	all, err := migrations()
	if err != nil {
		return Status{}, err
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return Status{}, fmt.Errorf("pgstore: inspect: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	st := Status{Latest: len(all)}
	err = pgx.BeginTxFunc(ctx, conn, pgx.TxOptions{AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		return inspect(ctx, tx, opts, &st)
	})
	if err != nil {
		return Status{}, fmt.Errorf("pgstore: inspect: %w", err)
	}
	return st, nil
}

// inspect fills st inside a read-only transaction.
func inspect(ctx context.Context, tx pgx.Tx, opts Options, st *Status) error {
	if err := checkDatabase(ctx, tx, false); err != nil {
		return err
	}
	var hasVersions, hasKey bool
	err := tx.QueryRow(ctx, `SELECT to_regclass('schema_version') IS NOT NULL, to_regclass('key_check') IS NOT NULL`).
		Scan(&hasVersions, &hasKey)
	if err != nil || !hasVersions {
		return err
	}
	if err := tx.QueryRow(ctx, `SELECT COALESCE(max(version), 0) FROM schema_version`).Scan(&st.SchemaVersion); err != nil {
		return err
	}
	if !hasKey {
		return nil
	}
	var sealed []byte
	err = tx.QueryRow(ctx, `SELECT sealed FROM key_check WHERE id = 1`).Scan(&sealed)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	s, err := store.NewSealer(store.DeriveKey(opts.Key, sealPurpose))
	if err != nil {
		return err
	}
	st.KeyChecked = true
	_, err = s.Open(sealed, []byte("key_check"))
	st.KeyMatches = err == nil
	return nil
}
