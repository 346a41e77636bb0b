package sqlstore

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"time"

	"radiusd/store"
)

// purgeBatch bounds how many expired challenges one PutChallenge deletes,
// which keeps its cost flat while still outpacing the insert rate.
const purgeBatch = 32

// PutChallenge stores a pending challenge under the SHA-256 of its ID,
// with the digest of its sent code if any (an empty one as NULL), and
// purges up to purgeBatch challenges that expired before the latest time a
// caller passed to this Store (never this host's own clock).
func (s *Store) PutChallenge(ctx context.Context, c store.Challenge) error {
	id := sha256.Sum256(c.ID)
	seen := s.seen.Load()
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if seen > 0 {
			if _, err := tx.ExecContext(ctx, `DELETE FROM challenges WHERE id_digest IN (
				SELECT id_digest FROM challenges WHERE expires < ?1 ORDER BY expires LIMIT ?2)`,
				seen, purgeBatch); err != nil {
				return err
			}
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO challenges (id_digest, user_name, client, expires, code)
			VALUES (?1, ?2, ?3, ?4, ?5)`, id[:], c.User, c.Client, c.Expires.UnixMicro(), codeOrNull(c.Code))
		return err
	})
	return wrap("put challenge", err)
}

// TakeChallenge deletes the challenge and returns it unless it expired
// before now; an expired one is deleted too. One DELETE … RETURNING, so
// two concurrent calls never both get it.
func (s *Store) TakeChallenge(ctx context.Context, id []byte, now time.Time) (store.Challenge, error) {
	s.observe(now)
	digest := sha256.Sum256(id)
	c := store.Challenge{ID: append([]byte(nil), id...)}
	var expires int64
	err := s.stmts.take.QueryRowContext(ctx, digest[:]).Scan(&c.User, &c.Client, &expires, &c.Code)
	if errors.Is(err, sql.ErrNoRows) {
		return store.Challenge{}, store.ErrNotFound
	}
	if err != nil {
		return store.Challenge{}, wrap("take challenge", err)
	}
	c.Expires = time.UnixMicro(expires).UTC()
	if now.After(c.Expires) {
		return store.Challenge{}, store.ErrNotFound
	}
	return c, nil
}

// codeOrNull returns nil (SQL NULL) for an empty code digest, else code.
func codeOrNull(code []byte) any {
	if len(code) == 0 {
		return nil
	}
	return code
}
