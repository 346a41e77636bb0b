package pgstore

import (
	"context"
	"crypto/sha256"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"radiusd/store"
)

// purgeBatch bounds how many expired challenges one PutChallenge deletes,
// which keeps its cost flat while still outpacing the insert rate.
const purgeBatch = 32

// PutChallenge stores a pending challenge under the SHA-256 of its ID,
// with the digest of its sent code if any (an empty one as NULL), and, in
// the same statement, purges up to purgeBatch challenges that expired
// before the latest time a caller passed to this Store (never this host's
// own clock). One round trip.
func (s *Store) PutChallenge(ctx context.Context, c store.Challenge) error {
	if !storable(c.User) || !storable(c.Client) {
		return wrap("put challenge", errName)
	}
	id := sha256.Sum256(c.ID)
	var seen time.Time // the zero time: nothing expired before it
	if us := s.seen.Load(); us > 0 {
		seen = time.UnixMicro(us)
	}
	err := s.pool.run(ctx, func(ctx context.Context, conn *pgx.Conn) error {
		_, err := conn.Exec(ctx, sqlPutChallenge, id[:], c.User, c.Client, c.Expires, seen, purgeBatch, codeOrNull(c.Code))
		return err
	})
	return wrap("put challenge", err)
}

// TakeChallenge deletes the challenge and returns it unless it expired
// before now; an expired one is deleted too. One DELETE … RETURNING (one
// round trip), so two concurrent calls, on any nodes, never both get it.
func (s *Store) TakeChallenge(ctx context.Context, id []byte, now time.Time) (store.Challenge, error) {
	s.observe(now)
	digest := sha256.Sum256(id)
	c := store.Challenge{ID: append([]byte(nil), id...)}
	err := s.pool.run(ctx, func(ctx context.Context, conn *pgx.Conn) error {
		return conn.QueryRow(ctx, sqlTake, digest[:]).Scan(&c.User, &c.Client, &c.Expires, &c.Code)
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return store.Challenge{}, store.ErrNotFound
	}
	if err != nil {
		return store.Challenge{}, wrap("take challenge", err)
	}
	c.Expires = c.Expires.UTC()
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
