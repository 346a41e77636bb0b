package sqlstore

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"maps"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"radiusd/secret"
	"radiusd/store"
	"radiusd/store/storetest"
)

// testKey is a fixed master key for tests.
var testKey = secret.New(bytes.Repeat([]byte{0x42}, store.KeySize))

// openAt opens a store at path or fails the test; Close runs at cleanup.
func openAt(t *testing.T, path string, sync string) *Store {
	t.Helper()
	s, err := Open(t.Context(), Options{Path: path, Key: testKey, Synchronous: sync})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	for _, sync := range []string{SynchronousNormal, SynchronousFull} {
		t.Run(sync, func(t *testing.T) {
			storetest.Run(t, func(t *testing.T) store.Store {
				return openAt(t, filepath.Join(t.TempDir(), "radiusd.db"), sync)
			})
		})
	}
}

// Everything, the sealed secret above all, survives closing and reopening.
func TestReopen(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "data", "radiusd.db")
	s := openAt(t, path, "")
	key := bytes.Repeat([]byte{7}, 20)
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	if err := s.Enroll(ctx, "alice", store.TOTP{Secret: secret.New(key), Digits: 8, Period: 60, Algorithm: "SHA256"}, now, false); err != nil {
		t.Fatal(err)
	}
	if err := s.Activate(ctx, "alice", 500, 1, [][]byte{bytes.Repeat([]byte{1}, 32)}, now); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	for _, perm := range []struct {
		path string
		want os.FileMode
	}{{path, 0o600}, {filepath.Dir(path), 0o700}} {
		if fi, err := os.Stat(perm.path); err != nil || fi.Mode().Perm() != perm.want {
			t.Errorf("%s: mode %v (%v), want %04o", perm.path, fi.Mode().Perm(), err, perm.want)
		}
	}

	s = openAt(t, path, SynchronousFull)
	u, err := s.Get(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if !u.TOTP.Secret.Equal(key) || u.TOTP.Digits != 8 || u.TOTP.Period != 60 || u.TOTP.Algorithm != "SHA256" {
		t.Error("TOTP did not survive reopening")
	}
	if u.State != store.StateActive || u.LastStep != 500 || u.Drift != 1 || u.RecoveryLeft != 1 || !u.EnrolledAt.Equal(now) {
		t.Errorf("user after reopen: %+v", u)
	}
	if err := s.AcceptStep(ctx, "alice", 500, 0, now); !errors.Is(err, store.ErrReplay) {
		t.Errorf("replay after reopen: %v, want ErrReplay", err)
	}
}

// The secret is sealed at rest, and bound to its user: a row copied to
// another user, or read with another master key, does not decrypt.
func TestSealedSecret(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "radiusd.db")
	s := openAt(t, path, "")
	key := []byte("12345678901234567890")
	totp := store.TOTP{Secret: secret.New(key), Digits: 6, Period: 30, Algorithm: "SHA1"}
	for _, name := range []string{"alice", "mallory"} {
		if err := s.Import(ctx, name, totp, time.Unix(100, 0), false); err != nil {
			t.Fatal(err)
		}
	}
	var sealed []byte
	if err := s.read.QueryRowContext(ctx, `SELECT totp_secret FROM users WHERE name = 'alice'`).Scan(&sealed); err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, key) {
		t.Fatal("the secret is stored in clear")
	}
	if _, err := s.write.ExecContext(ctx, `UPDATE users SET totp_secret = ?1 WHERE name = 'mallory'`, sealed); err != nil {
		t.Fatal(err)
	}
	_, err := s.Get(ctx, "mallory")
	if err == nil || errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Get of a row with alice's secret: %v, want a decryption error", err)
	}
	if _, err := s.List(ctx); err == nil {
		t.Error("List with an undecryptable row succeeded")
	}
	if strings.Contains(err.Error(), string(key)) {
		t.Errorf("error shows the secret: %v", err)
	}
	s.Close()

	if _, err := Open(ctx, Options{Path: path, Key: secret.New(bytes.Repeat([]byte{9}, 32))}); !errors.Is(err, ErrWrongKey) {
		t.Errorf("Open with the wrong master key: %v, want ErrWrongKey", err)
	}
}

func TestOpenOptions(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name   string
		opts   Options
		errHas string
	}{
		{name: "no path", opts: Options{Key: testKey}, errHas: "database file"},
		{name: "memory", opts: Options{Path: ":memory:", Key: testKey}, errHas: "database file"},
		{name: "no key", opts: Options{Path: filepath.Join(dir, "a.db")}, errHas: "32 bytes"},
		{name: "short key", opts: Options{Path: filepath.Join(dir, "a.db"), Key: secret.New(make([]byte, 16))}, errHas: "32 bytes"},
		{name: "bad synchronous", opts: Options{Path: filepath.Join(dir, "a.db"), Key: testKey, Synchronous: "off"}, errHas: "not one of normal, full"},
		{name: "negative busy timeout", opts: Options{Path: filepath.Join(dir, "a.db"), Key: testKey, BusyTimeout: -time.Second}, errHas: "negative"},
		{name: "upper-case FULL", opts: Options{Path: filepath.Join(dir, "b.db"), Key: testKey, Synchronous: "FULL"}},
		{name: "odd file name", opts: Options{Path: filepath.Join(dir, "a?b#c%20d.db"), Key: testKey}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Open(t.Context(), tt.opts)
			if tt.errHas == "" {
				if err != nil {
					t.Fatalf("Open: %v", err)
				}
				defer s.Close()
				if _, err := os.Stat(tt.opts.Path + "-wal"); err != nil {
					t.Errorf("SQLite did not open the given path: %v", err)
				}
				return
			}
			if err == nil {
				s.Close()
				t.Fatal("Open succeeded")
			}
			if !strings.HasPrefix(err.Error(), "sqlstore: ") || !strings.Contains(err.Error(), tt.errHas) {
				t.Errorf("error %q, want sqlstore: … %s", err, tt.errHas)
			}
		})
	}
}

// Files that cannot be a database give an error from Open, not a panic.
func TestOpenBadFile(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, path string)
	}{
		{name: "directory", setup: func(t *testing.T, path string) { mustDo(t, os.Mkdir(path, 0o700)) }},
		{name: "not a database", setup: func(t *testing.T, path string) {
			mustDo(t, os.WriteFile(path, bytes.Repeat([]byte("not sqlite "), 500), 0o600))
		}},
		{name: "parent is a file", setup: func(t *testing.T, path string) {
			mustDo(t, os.WriteFile(filepath.Dir(path), nil, 0o600))
		}},
		{name: "read-only file", setup: func(t *testing.T, path string) {
			if os.Geteuid() == 0 {
				t.Skip("root writes any file")
			}
			mustDo(t, os.WriteFile(path, nil, 0o400))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "sub", "radiusd.db")
			mustDo(t, os.MkdirAll(filepath.Dir(filepath.Dir(path)), 0o700))
			if tt.name != "parent is a file" {
				mustDo(t, os.MkdirAll(filepath.Dir(path), 0o700))
			}
			tt.setup(t, path)
			s, err := Open(t.Context(), Options{Path: path, Key: testKey})
			if err == nil {
				s.Close()
				t.Fatal("Open succeeded")
			}
			if !strings.HasPrefix(err.Error(), "sqlstore: ") {
				t.Errorf("error %q lacks the sqlstore prefix", err)
			}
		})
	}
}

// A database that SQLite can only open read-only (as for a file this
// process may not write; mode=ro stands for that, since tests run as root)
// gives an error from Open, not a panic or a store that fails later.
func TestOpenReadOnlyDatabase(t *testing.T) {
	path := filepath.Join(t.TempDir(), "radiusd.db")
	openAt(t, path, "").Close()
	s, err := openWith(t.Context(), Options{Path: path, Key: testKey}, url.Values{"mode": {"ro"}})
	if err == nil {
		s.Close()
		t.Fatal("Open of a read-only database succeeded")
	}
	t.Log(err)
	if !strings.HasPrefix(err.Error(), "sqlstore: ") {
		t.Errorf("error %q lacks the sqlstore prefix", err)
	}
}

// Another process holding the write lock makes writes fail after the busy
// timeout with a backend error (never a sentinel, never a panic), while
// reads go on; Open waits the same way.
func TestLockedDatabase(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "radiusd.db")
	holder := openAt(t, path, "")
	if err := holder.Import(ctx, "alice", store.TOTP{Secret: secret.New([]byte("k")), Digits: 6, Period: 30, Algorithm: "SHA1"}, time.Unix(1, 0), false); err != nil {
		t.Fatal(err)
	}
	s, err := Open(ctx, Options{Path: path, Key: testKey, BusyTimeout: 50 * time.Millisecond})
	mustDo(t, err)
	defer s.Close()

	tx, err := holder.write.BeginTx(ctx, nil) // BEGIN IMMEDIATE: the write lock
	mustDo(t, err)
	defer tx.Rollback()

	if _, err := s.Get(ctx, "alice"); err != nil {
		t.Errorf("Get while another process writes: %v", err)
	}
	err = s.AcceptStep(ctx, "alice", 10, 0, time.Unix(2, 0))
	if err == nil || errors.Is(err, store.ErrReplay) || errors.Is(err, store.ErrNotFound) {
		t.Errorf("AcceptStep on a locked database: %v, want a backend error", err)
	}
	if _, err := s.RecordFailure(ctx, "alice", store.Failure{Now: time.Unix(2, 0)}); err == nil {
		t.Error("RecordFailure on a locked database succeeded")
	}
	if _, err := Open(ctx, Options{Path: path, Key: testKey, BusyTimeout: 50 * time.Millisecond}); err == nil {
		t.Error("Open on a locked database succeeded")
	}
	mustDo(t, tx.Rollback())
	if err := s.AcceptStep(ctx, "alice", 10, 0, time.Unix(2, 0)); err != nil {
		t.Errorf("AcceptStep after the lock went: %v", err)
	}
}

// A canceled context while waiting for the single write connection gives
// the context's error.
func TestWriteQueueHonoursContext(t *testing.T) {
	s := openAt(t, filepath.Join(t.TempDir(), "radiusd.db"), "")
	tx, err := s.write.BeginTx(t.Context(), nil)
	mustDo(t, err)
	defer tx.Rollback()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
	defer cancel()
	err = s.SetPolicy(ctx, "alice", store.PolicyExempt, time.Unix(1, 0))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("SetPolicy while the write connection is busy: %v, want deadline exceeded", err)
	}
}

func TestMigrations(t *testing.T) {
	all, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	if len(all) == 0 || all[0].Version != 1 {
		t.Fatalf("migrations %v", all)
	}
	path := filepath.Join(t.TempDir(), "radiusd.db")
	s := openAt(t, path, "")
	var n int
	mustDo(t, s.read.QueryRowContext(t.Context(), `SELECT count(*) FROM schema_version`).Scan(&n))
	if n != len(all) {
		t.Errorf("schema_version has %d rows, want %d", n, len(all))
	}
	var mode string
	mustDo(t, s.read.QueryRowContext(t.Context(), `PRAGMA journal_mode`).Scan(&mode))
	if !strings.EqualFold(mode, "wal") {
		t.Errorf("journal mode %q, want wal", mode)
	}
	// A schema from a newer radiusd is refused, and reopening applies
	// nothing twice.
	_, err = s.write.ExecContext(t.Context(), `INSERT INTO schema_version (version, applied_at) VALUES (?1, 0)`, len(all)+1)
	mustDo(t, err)
	s.Close()
	if _, err := Open(t.Context(), Options{Path: path, Key: testKey}); err == nil || !strings.Contains(err.Error(), "newer") {
		t.Errorf("Open of a newer schema: %v", err)
	}
}

// Expired challenges are purged by PutChallenge against the callers'
// latest time, a bounded batch at a time.
func TestChallengePurge(t *testing.T) {
	ctx := t.Context()
	s := openAt(t, filepath.Join(t.TempDir(), "radiusd.db"), "")
	base := time.Unix(1_000_000, 0)
	for i := range 2 * purgeBatch {
		c := store.Challenge{ID: []byte{byte(i)}, User: "u", Client: "c", Expires: base.Add(time.Minute)}
		mustDo(t, s.PutChallenge(ctx, c))
	}
	count := func() int {
		var n int
		mustDo(t, s.read.QueryRowContext(ctx, `SELECT count(*) FROM challenges`).Scan(&n))
		return n
	}
	if _, err := s.TakeChallenge(ctx, []byte("none"), base.Add(time.Hour)); !errors.Is(err, store.ErrNotFound) {
		t.Fatal(err)
	}
	live := store.Challenge{ID: []byte("live"), User: "u", Client: "c", Expires: base.Add(2 * time.Hour)}
	mustDo(t, s.PutChallenge(ctx, live))
	if got := count(); got != purgeBatch+1 {
		t.Errorf("%d challenges after one purge, want %d", got, purgeBatch+1)
	}
	mustDo(t, s.PutChallenge(ctx, store.Challenge{ID: []byte("live2"), User: "u", Client: "c", Expires: base.Add(2 * time.Hour)}))
	if got := count(); got != 2 {
		t.Errorf("%d challenges after two purges, want 2", got)
	}
	var idDigest []byte
	mustDo(t, s.read.QueryRowContext(ctx, `SELECT id_digest FROM challenges WHERE user_name = 'u' LIMIT 1`).Scan(&idDigest))
	if bytes.HasPrefix(idDigest, []byte("live")) {
		t.Error("challenge ID stored in clear")
	}
}

func mustDo(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestWrongKeyRefused: a database opened with another key file fails at
// Open with ErrWrongKey, not later on every login.
func TestWrongKeyRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "radiusd.db")
	key := func(b byte) secret.Value { return secret.New(bytes.Repeat([]byte{b}, store.KeySize)) }
	s, err := Open(t.Context(), Options{Path: path, Key: key(1)})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if _, err := Open(t.Context(), Options{Path: path, Key: key(2)}); !errors.Is(err, ErrWrongKey) {
		t.Fatalf("open with another key: %v", err)
	}
	s, err = Open(t.Context(), Options{Path: path, Key: key(1)})
	if err != nil {
		t.Fatalf("reopen with the right key: %v", err)
	}
	s.Close()
}

func TestCountByState(t *testing.T) {
	ctx := t.Context()
	s := openAt(t, filepath.Join(t.TempDir(), "radiusd.db"), "")
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	totp := store.TOTP{Secret: secret.New(bytes.Repeat([]byte{7}, 20)), Digits: 6, Period: 30, Algorithm: "SHA1"}
	for _, name := range []string{"alice", "bob", "carol"} {
		if err := s.Enroll(ctx, name, totp, now, false); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Activate(ctx, "alice", 500, 0, nil, now); err != nil {
		t.Fatal(err)
	}
	if err := s.Reset(ctx, "carol"); err != nil {
		t.Fatal(err)
	}
	got, err := s.CountByState(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := map[store.State]int{store.StateActive: 1, store.StatePending: 1, store.StateNone: 1}
	if !maps.Equal(got, want) {
		t.Errorf("CountByState = %v, want %v", got, want)
	}
}

// A database written before migration 0004 keeps its users, who get
// store.MethodDefault, and its challenges, which have no code digest.
func TestMigrateSentCodes(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "radiusd.db")
	all, err := migrations()
	mustDo(t, err)
	db, err := sql.Open(driverName, dsn(path, nil, url.Values{}))
	mustDo(t, err)
	_, err = db.ExecContext(ctx, `CREATE TABLE schema_version (version INTEGER NOT NULL PRIMARY KEY, applied_at INTEGER NOT NULL)`)
	mustDo(t, err)
	for _, m := range all[:3] {
		_, err = db.ExecContext(ctx, m.SQL)
		mustDo(t, err)
		_, err = db.ExecContext(ctx, `INSERT INTO schema_version (version, applied_at) VALUES (?1, 0)`, m.Version)
		mustDo(t, err)
	}
	id := sha256.Sum256([]byte("old"))
	_, err = db.ExecContext(ctx, `INSERT INTO users (name, policy, created_at) VALUES ('alice', 'exempt', 1)`)
	mustDo(t, err)
	_, err = db.ExecContext(ctx, `INSERT INTO challenges (id_digest, user_name, client, expires)
		VALUES (?1, 'alice', 'vpn', 60000000)`, id[:])
	mustDo(t, err)
	mustDo(t, db.Close())

	s := openAt(t, path, "")
	u, err := s.Get(ctx, "alice")
	mustDo(t, err)
	if u.Method != store.MethodDefault || u.Policy != store.PolicyExempt {
		t.Errorf("migrated user: method %q policy %q, want default exempt", u.Method, u.Policy)
	}
	c, err := s.TakeChallenge(ctx, []byte("old"), time.Unix(1, 0))
	if err != nil || c.User != "alice" || c.Code != nil {
		t.Errorf("migrated challenge: %+v, %v; want alice's without a code", c, err)
	}
	mustDo(t, s.ReserveSend(ctx, "alice", time.Unix(2, 0), time.Minute))
}
