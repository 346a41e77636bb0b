package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// ErrWrongKey: the key file is not the one this database was written with.
var ErrWrongKey = errors.New("sqlstore: the key file does not match this database " +
	"(a wrong key file, or a new one created because the original was missing); " +
	"restore the key file that belongs to this database")

// keyCheckText is sealed under the key on first open and must open again
// on every later one.
var keyCheckText = []byte("radiusd key check v1")

// checkKey seals keyCheckText on first use of the database, and otherwise
// checks that the sealed value opens with this key.
func (s *Store) checkKey(ctx context.Context) error {
	var sealed []byte
	err := s.write.QueryRowContext(ctx, `SELECT sealed FROM key_check WHERE id = 1`).Scan(&sealed)
	if errors.Is(err, sql.ErrNoRows) {
		if sealed, err = s.sealer.Seal(keyCheckText, []byte("key_check")); err != nil {
			return fmt.Errorf("sqlstore: open: %w", err)
		}
		_, err = s.write.ExecContext(ctx, `INSERT INTO key_check (id, sealed) VALUES (1, ?1) ON CONFLICT (id) DO NOTHING`, sealed)
		if err != nil {
			return fmt.Errorf("sqlstore: open: %w", err)
		}
		return s.checkKey(ctx) // a concurrent first open may have won
	}
	if err != nil {
		return fmt.Errorf("sqlstore: open: %w", err)
	}
	if _, err := s.sealer.Open(sealed, []byte("key_check")); err != nil {
		return ErrWrongKey
	}
	return nil
}
