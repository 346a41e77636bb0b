package pgstore

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"radiusd/secret"
	"radiusd/store"
)

// Defaults for the zero values of Options.
const (
	DefaultMaxConns         = 16
	DefaultStatementTimeout = 2 * time.Second
	DefaultConnectTimeout   = 5 * time.Second
)

// sealPurpose names the key derived from the master key for TOTP secrets
// (the same as sqlstore's, so a database can move between drivers).
const sealPurpose = "totp-secret"

// Options configures Open.
type Options struct {
	// DSN is the libpq connection string, a postgres:// URL or key=value
	// pairs, read by the caller from store.dsn or store.dsn_file. It may
	// hold a password; it never appears in an error. TLS is configured
	// here too: sslmode=verify-full with sslrootcert=/path/ca.pem (and
	// sslcert/sslkey for client certificates). Several hosts with
	// target_session_attrs=read-write let a node follow a primary
	// fail-over. Keys pgx does not know become session parameters.
	DSN string
	// Key is the 32-byte master key (store.LoadOrCreateKey); the TOTP
	// sealing key is store.DeriveKey(Key, "totp-secret").
	Key secret.Value
	// MaxConns bounds the open connections of this Store (of this node);
	// zero means DefaultMaxConns. The server's max_connections must cover
	// every node's MaxConns plus the admin tools.
	MaxConns int
	// StatementTimeout is set as the session's statement_timeout on every
	// connection, so the server abandons a statement (and its locks) that
	// takes longer; zero means DefaultStatementTimeout. Schema migrations
	// at Open are exempt.
	StatementTimeout time.Duration
	// Synchronous is "full" (the default when empty: a call returns after
	// its commit is flushed, synchronous_commit as the server sets it) or
	// "normal" (synchronous_commit = off for radiusd's sessions: a commit
	// returns before the flush, and a crash of the database server loses
	// up to about 0.6 s of them; see the package doc).
	Synchronous string
	// ConnectTimeout bounds opening one connection (TCP, TLS and
	// authentication); zero means the DSN's connect_timeout, else
	// DefaultConnectTimeout.
	ConnectTimeout time.Duration
}

// Store is a store.Store on one PostgreSQL database, shared by every
// radiusd node that opens it. It is safe for concurrent use.
type Store struct {
	pool   *pool
	sealer *store.Sealer
	// seen is the latest caller time (Unix µs) passed to any method; expired
	// challenges are purged against it, never against this host's clock.
	seen atomic.Int64
}

var _ store.Store = (*Store)(nil)

// DefaultOpenTimeout bounds Open when its ctx has no deadline: waiting for
// another node's migration included.
const DefaultOpenTimeout = time.Minute

// Open connects to the database of opts.DSN, applies the missing schema
// migrations and checks the key. It fails if the database was written by a
// newer radiusd or with another key (ErrWrongKey). ctx bounds only the
// opening (DefaultOpenTimeout if it has no deadline); connections are made
// as calls need them, so a database that goes away later makes calls fail
// until it is back, with no reopening.
func Open(ctx context.Context, opts Options) (*Store, error) {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, DefaultOpenTimeout)
		defer cancel()
	}
	return openWith(ctx, opts, nil)
}

// openWith is Open with a hook that may change the connection config
// (tests count round trips through their own dialer).
func openWith(ctx context.Context, opts Options, hook func(*pgx.ConnConfig)) (*Store, error) {
	cfg, err := opts.connConfig()
	if err != nil {
		return nil, err
	}
	if hook != nil {
		hook(cfg)
	}
	sealer, err := store.NewSealer(store.DeriveKey(opts.Key, sealPurpose))
	if err != nil {
		return nil, fmt.Errorf("pgstore: open: %w", err)
	}
	maxConns := opts.MaxConns
	if maxConns == 0 {
		maxConns = DefaultMaxConns
	}
	pl, err := newPool(cfg, maxConns, callBudget(cfg))
	if err != nil {
		return nil, fmt.Errorf("pgstore: open: %w", err)
	}
	s := &Store{pool: pl, sealer: sealer}
	if err := s.setup(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// connConfig checks opts and returns the pgx connection config with the
// session parameters and timeouts applied.
func (o Options) connConfig() (*pgx.ConnConfig, error) {
	if o.Key.Len() != store.KeySize {
		return nil, fmt.Errorf("pgstore: open: master key must be %d bytes, got %d", store.KeySize, o.Key.Len())
	}
	switch {
	case o.DSN == "":
		return nil, errors.New("pgstore: open: the dsn is empty")
	case o.MaxConns < 0:
		return nil, fmt.Errorf("pgstore: open: max conns %d is negative", o.MaxConns)
	case o.StatementTimeout < 0:
		return nil, fmt.Errorf("pgstore: open: statement timeout %v is negative", o.StatementTimeout)
	case o.ConnectTimeout < 0:
		return nil, fmt.Errorf("pgstore: open: connect timeout %v is negative", o.ConnectTimeout)
	}
	cfg, err := pgx.ParseConfig(o.DSN)
	if err != nil {
		return nil, fmt.Errorf("pgstore: open: %w", parseError(err))
	}
	stmt := o.StatementTimeout
	if stmt == 0 {
		stmt = DefaultStatementTimeout
	}
	ms := max(stmt.Milliseconds(), 1)
	cfg.RuntimeParams["statement_timeout"] = strconv.FormatInt(ms, 10)
	// A node that stops answering in the middle of a transaction must not
	// hold its row locks for longer than a few statements would.
	cfg.RuntimeParams["idle_in_transaction_session_timeout"] = strconv.FormatInt(max(10*ms, 5000), 10)
	switch o.Synchronous {
	case "", "full":
	case "normal":
		cfg.RuntimeParams["synchronous_commit"] = "off"
	default:
		return nil, fmt.Errorf("pgstore: open: synchronous %q is not normal or full", o.Synchronous)
	}
	if cfg.RuntimeParams["application_name"] == "" {
		cfg.RuntimeParams["application_name"] = "radiusd"
	}
	if o.ConnectTimeout > 0 {
		cfg.ConnectTimeout = o.ConnectTimeout
	} else if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = DefaultConnectTimeout
	}
	return cfg, nil
}

// parseError returns the reason a DSN does not parse without quoting the
// DSN: pgx masks passwords in it only on a best-effort basis, and the
// errors it wraps (from net/url) quote the whole string.
func parseError(err error) error {
	var pce *pgconn.ParseConfigError
	if !errors.As(err, &pce) {
		return errors.New("the dsn cannot be parsed")
	}
	quiet := *pce
	quiet.ConnString = "dsn"
	text := quiet.Error()
	if inner := pce.Unwrap(); inner != nil {
		text = text[:max(0, len(text)-len(inner.Error())-3)] // drop " (inner)"
	}
	return errors.New(text)
}

// callBudget is the time a call may take when its context has no
// deadline: one connection plus two statements.
func callBudget(cfg *pgx.ConnConfig) time.Duration {
	ms, _ := strconv.ParseInt(cfg.RuntimeParams["statement_timeout"], 10, 64)
	return cfg.ConnectTimeout + 2*time.Duration(ms)*time.Millisecond
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	err := s.pool.run(ctx, func(ctx context.Context, c *pgx.Conn) error { return c.Ping(ctx) })
	return wrap("ping", err)
}

// Close closes the idle connections and makes every later call fail;
// connections in use close when their call ends. It always returns nil.
func (s *Store) Close() error {
	s.pool.close()
	return nil
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

// errName is returned by the methods that would create a user or a
// challenge with a name PostgreSQL text cannot hold.
var errName = errors.New("name is not valid UTF-8 or holds a NUL byte")

// storable reports whether a PostgreSQL text value can hold s: valid UTF-8
// without NUL. No row can have another name, so a lookup of one is "not
// found" without asking the database.
func storable(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == 0 {
			return false
		}
	}
	return utf8.ValidString(s)
}

// utcTime converts a nullable timestamptz to UTC, zero for NULL.
func utcTime(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}

// wrap prefixes a backend error with the operation; it returns nil and the
// store sentinels unchanged, so callers match them with errors.Is.
func wrap(op string, err error) error {
	if err == nil || errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrReplay) ||
		errors.Is(err, store.ErrExists) || errors.Is(err, store.ErrNotPending) || errors.Is(err, store.ErrTooSoon) {
		return err
	}
	return fmt.Errorf("pgstore: %s: %w", op, err)
}
