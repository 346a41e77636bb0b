package pgstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// ErrWrongKey: the key file is not the one this database was written with.
var ErrWrongKey = errors.New("pgstore: the key file does not match this database " +
	"(a wrong key file, or a new one created because the original was missing); " +
	"restore the key file that belongs to this database: every node needs the same one")

// keyCheckText is sealed under the key on first open and must open again
// on every later one (the same text and additional data as sqlstore's).
var keyCheckText = []byte("radiusd key check v1")

// checkKey seals keyCheckText on first use of the database, and otherwise
// checks that the sealed value opens with this key. It runs inside setup's
// transaction, under the migration lock, so two first opens cannot race.
func (s *Store) checkKey(ctx context.Context, tx pgx.Tx) error {
	var sealed []byte
	err := tx.QueryRow(ctx, `SELECT sealed FROM key_check WHERE id = 1`).Scan(&sealed)
	if errors.Is(err, pgx.ErrNoRows) {
		if sealed, err = s.sealer.Seal(keyCheckText, []byte("key_check")); err != nil {
			return fmt.Errorf("key check: %w", err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO key_check (id, sealed) VALUES (1, $1)`, sealed); err != nil {
			return fmt.Errorf("key check: %w", err)
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("key check: %w", err)
	}
	if _, err := s.sealer.Open(sealed, []byte("key_check")); err != nil {
		return ErrWrongKey
	}
	return nil
}
