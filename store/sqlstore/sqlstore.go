package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"radiusd/secret"
	"radiusd/store"
)

// Synchronous modes for Options.Synchronous; see the package doc.
const (
	SynchronousNormal = "normal"
	SynchronousFull   = "full"
)

// DefaultBusyTimeout is how long a write waits for another process's lock
// when Options.BusyTimeout is zero.
const DefaultBusyTimeout = 5 * time.Second

// sealPurpose names the key derived from the master key for TOTP secrets.
const sealPurpose = "totp-secret"

// Options configures Open.
type Options struct {
	// Path is the database file, created (mode 0600, parent directory
	// 0700) if absent. It must be a file: ":memory:" is not supported.
	Path string
	// Key is the 32-byte master key (store.LoadOrCreateKey); the TOTP
	// sealing key is store.DeriveKey(Key, "totp-secret").
	Key secret.Value
	// Synchronous is "normal" (default when empty) or "full"; see the
	// package doc for what each means for replay protection.
	Synchronous string
	// BusyTimeout bounds the wait for a lock held by another process;
	// zero means DefaultBusyTimeout.
	BusyTimeout time.Duration
}

// Store is a store.Store on one SQLite database file. It is safe for
// concurrent use, and several processes may open the same file.
type Store struct {
	write  *sql.DB // one connection: SQLite has one writer
	read   *sql.DB // read-only connections
	sealer *store.Sealer
	stmts  statements
	// seen is the latest caller time (Unix µs) passed to any method; expired
	// challenges are purged against it, never against this host's clock.
	seen atomic.Int64
	// writes feeds the batch writer (see writeBatched); closing stops it
	// and writerDone tells it has stopped.
	writes     chan batchedWrite
	closing    chan struct{}
	writerDone chan struct{}
	closeOnce  sync.Once
	closeErr   error
}

var _ store.Store = (*Store)(nil)

// Open opens (creating if needed) and migrates the database at opts.Path.
// The context bounds only the opening and migration.
func Open(ctx context.Context, opts Options) (*Store, error) {
	return openWith(ctx, opts, nil)
}

// openWith is Open with extra URI parameters for both pools (tests use
// mode=ro to stand for a file this process may not write).
func openWith(ctx context.Context, opts Options, extra url.Values) (*Store, error) {
	syncMode, busy, err := opts.check()
	if err != nil {
		return nil, err
	}
	sealer, err := store.NewSealer(store.DeriveKey(opts.Key, sealPurpose))
	if err != nil {
		return nil, fmt.Errorf("sqlstore: open: %w", err)
	}
	if err := createFile(opts.Path); err != nil {
		return nil, err
	}
	s := &Store{sealer: sealer, writes: make(chan batchedWrite), closing: make(chan struct{}), writerDone: make(chan struct{})}
	go s.batchWriter()
	if err := s.open(ctx, opts.Path, syncMode, busy, extra); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// check validates opts and returns the SQLite synchronous value and the
// busy timeout in milliseconds.
func (o Options) check() (syncMode string, busyMS int64, err error) {
	if o.Path == "" || o.Path == ":memory:" || strings.HasPrefix(o.Path, "file:") {
		return "", 0, fmt.Errorf("sqlstore: open: path %q must name a database file", o.Path)
	}
	if o.Key.Len() != store.KeySize {
		return "", 0, fmt.Errorf("sqlstore: open: master key must be %d bytes, got %d", store.KeySize, o.Key.Len())
	}
	switch strings.ToLower(o.Synchronous) {
	case "", SynchronousNormal:
		syncMode = "NORMAL"
	case SynchronousFull:
		syncMode = "FULL"
	default:
		return "", 0, fmt.Errorf("sqlstore: open: synchronous %q is not one of normal, full", o.Synchronous)
	}
	busy := o.BusyTimeout
	if busy < 0 {
		return "", 0, fmt.Errorf("sqlstore: open: busy timeout %v is negative", busy)
	}
	if busy == 0 {
		busy = DefaultBusyTimeout
	}
	return syncMode, max(busy.Milliseconds(), 1), nil
}

// createFile creates the database file with mode 0600 (and its directory
// with 0700) before SQLite does, which would use 0644; SQLite gives the
// -wal and -shm files the database file's mode.
func createFile(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("sqlstore: open: %w", err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("sqlstore: open: %w", err)
	}
	return f.Close()
}

// open connects both pools, migrates and prepares the statements.
func (s *Store) open(ctx context.Context, path, syncMode string, busyMS int64, extra url.Values) error {
	busy := strconv.FormatInt(busyMS, 10)
	var err error
	s.write, err = sql.Open(driverName, dsn(path, extra, url.Values{
		"_busy_timeout": {busy}, "_journal_mode": {"WAL"}, "_synchronous": {syncMode},
		"_foreign_keys": {"1"}, "_txlock": {"immediate"},
	}))
	if err != nil {
		return fmt.Errorf("sqlstore: open: %w", err)
	}
	s.write.SetMaxOpenConns(1)
	s.write.SetMaxIdleConns(1)
	s.write.SetConnMaxLifetime(0)
	s.write.SetConnMaxIdleTime(0)
	if err := migrate(ctx, s.write); err != nil {
		return err
	}
	if err := s.checkKey(ctx); err != nil {
		return err
	}
	s.read, err = sql.Open(driverName, dsn(path, extra, url.Values{
		"_busy_timeout": {busy}, "_query_only": {"1"}, "_foreign_keys": {"1"},
	}))
	if err != nil {
		return fmt.Errorf("sqlstore: open: %w", err)
	}
	n := max(4, 2*runtime.GOMAXPROCS(0))
	s.read.SetMaxOpenConns(n)
	s.read.SetMaxIdleConns(n)
	s.read.SetConnMaxIdleTime(0)
	return s.prepare(ctx)
}

// dsn returns a "file:" URI for path with the parameters of extra and
// params. The path is escaped so that '?', '#' and '%' in a file name stay
// part of it.
func dsn(path string, extra, params url.Values) string {
	for k, v := range extra {
		params[k] = v
	}
	r := strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23")
	return "file:" + r.Replace(path) + "?" + params.Encode()
}

// Ping checks that both the read pool and the write connection work.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.read.PingContext(ctx); err != nil {
		return fmt.Errorf("sqlstore: ping: %w", err)
	}
	if err := s.write.PingContext(ctx); err != nil {
		return fmt.Errorf("sqlstore: ping: %w", err)
	}
	return nil
}

// Close closes the statements and connections. Later calls return the
// first call's result.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		close(s.closing)
		<-s.writerDone
		errs := []error{s.stmts.close()}
		if s.read != nil {
			errs = append(errs, s.read.Close())
		}
		if s.write != nil {
			errs = append(errs, s.write.Close())
		}
		if err := errors.Join(errs...); err != nil {
			s.closeErr = fmt.Errorf("sqlstore: close: %w", err)
		}
	})
	return s.closeErr
}

// observe records now as the latest caller time seen, if it is later.
func (s *Store) observe(now time.Time) {
	us := now.UnixMicro()
	for {
		old := s.seen.Load()
		if us <= old || s.seen.CompareAndSwap(old, us) {
			return
		}
	}
}

// micros converts t to Unix microseconds, NULL for the zero time.
func micros(t time.Time) sql.NullInt64 {
	if t.IsZero() {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: t.UnixMicro(), Valid: true}
}

// fromMicros converts Unix microseconds to a UTC time, zero for NULL.
func fromMicros(n sql.NullInt64) time.Time {
	if !n.Valid {
		return time.Time{}
	}
	return time.UnixMicro(n.Int64).UTC()
}
