package sqlstore

import (
	"context"
	"database/sql"
	"errors"

	"radiusd/store"
)

// maxBatch bounds the writes one transaction carries.
const maxBatch = 128

// errClosed is returned by writes submitted after Close.
var errClosed = errors.New("sqlstore: store is closed")

// batchedWrite is one request-path write waiting for the batch writer.
type batchedWrite struct {
	ctx  context.Context
	f    func(ctx context.Context, tx *sql.Tx) error
	done chan error // buffered: the writer never blocks on it
}

// writeBatched runs f in a write transaction shared with the other
// request-path writes waiting at that moment (group commit). SQLite has one
// writer, and every transaction costs its locks and a WAL commit (an fsync
// with synchronous=full); sharing them is what lets the accept path scale.
//
// f must change nothing unless it returns nil: it may return
// store.ErrReplay, store.ErrNotFound or store.ErrTooSoon after a
// conditional statement that matched no row. Any other error from f rolls back the whole batch and
// fails every write in it (fail closed). f's result is returned only after
// the commit. If ctx ends first, writeBatched returns ctx.Err() and the
// write may still commit; callers treat that as a failure.
func (s *Store) writeBatched(ctx context.Context, f func(ctx context.Context, tx *sql.Tx) error) error {
	w := batchedWrite{ctx: ctx, f: f, done: make(chan error, 1)}
	select {
	case s.writes <- w:
	case <-ctx.Done():
		return ctx.Err()
	case <-s.closing:
		return errClosed
	}
	select {
	case err := <-w.done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// batchWriter takes one write, then every write already waiting (up to
// maxBatch), and commits them together; it returns when s.closing closes.
func (s *Store) batchWriter() {
	defer close(s.writerDone)
	batch := make([]batchedWrite, 0, maxBatch)
	for {
		select {
		case w := <-s.writes:
			batch = append(batch[:0], w)
		case <-s.closing:
			return
		}
	fill:
		for len(batch) < maxBatch {
			select {
			case w := <-s.writes:
				batch = append(batch, w)
			default:
				break fill
			}
		}
		s.commitBatch(batch)
	}
}

// commitBatch runs the writes of batch in one transaction and reports
// each result once the transaction has committed or failed.
func (s *Store) commitBatch(batch []batchedWrite) {
	results := make([]error, len(batch))
	ctx := context.Background() // one request's deadline must not abort the others
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		for i, w := range batch {
			if results[i] = w.ctx.Err(); results[i] != nil {
				continue
			}
			results[i] = w.f(ctx, tx)
			if results[i] != nil && !refusal(results[i]) {
				return results[i]
			}
		}
		return nil
	})
	for i, w := range batch {
		if err != nil {
			results[i] = err
		}
		w.done <- results[i]
	}
}

// refusal reports whether err is a sentinel with which a batched write
// refuses after changing nothing, which leaves the rest of the batch alone.
func refusal(err error) bool {
	return errors.Is(err, store.ErrReplay) || errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrTooSoon)
}
