package pgstore

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"maps"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"radiusd/secret"
	"radiusd/store"
	"radiusd/store/pgstore/pgtest"
	"radiusd/store/storetest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// testKey is a fixed master key for tests.
var testKey = secret.New(bytes.Repeat([]byte{0x42}, store.KeySize))

// freshDSN returns the DSN of a new, empty database on the shared cluster.
func freshDSN(t testing.TB) string {
	t.Helper()
	return pgtest.Shared(t).NewDatabase(t)
}

// openAt opens a store on dsn or fails the test; Close runs at cleanup.
// edit, if given, changes the options first.
func openAt(t testing.TB, dsn string, edit ...func(*Options)) *Store {
	t.Helper()
	opts := Options{DSN: dsn, Key: testKey}
	for _, e := range edit {
		e(&opts)
	}
	s, err := Open(t.Context(), opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// sql runs one statement on dsn outside any Store, as an administrator
// would with psql, and scans its single row into dest if given.
func sql(t testing.TB, dsn, query string, args []any, dest ...any) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second) // also in cleanups
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if len(dest) == 0 {
		_, err = conn.Exec(ctx, query, args...)
	} else {
		err = conn.QueryRow(ctx, query, args...).Scan(dest...)
	}
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

func mustDo(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// totp returns token parameters with a 20-byte key of seed.
func totp(seed byte) store.TOTP {
	return store.TOTP{Secret: secret.New(bytes.Repeat([]byte{seed}, 20)), Digits: 6, Period: 30, Algorithm: "SHA1"}
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return openAt(t, freshDSN(t)) })
}

// Everything, the sealed secret above all, survives closing and reopening,
// with times in UTC at microsecond precision.
func TestReopen(t *testing.T) {
	ctx := t.Context()
	dsn := freshDSN(t)
	s := openAt(t, dsn)
	key := bytes.Repeat([]byte{7}, 20)
	now := time.Date(2030, 1, 2, 3, 4, 5, 123456789, time.FixedZone("CET", 3600))
	mustDo(t, s.Enroll(ctx, "alice", store.TOTP{Secret: secret.New(key), Digits: 8, Period: 60, Algorithm: "SHA256"}, now, false))
	mustDo(t, s.Activate(ctx, "alice", 500, 1, [][]byte{bytes.Repeat([]byte{1}, 32)}, now))
	mustDo(t, s.Close())
	mustDo(t, s.Close())
	if err := s.Ping(ctx); err == nil {
		t.Error("Ping after Close succeeded")
	}

	s = openAt(t, dsn)
	u, err := s.Get(ctx, "alice")
	mustDo(t, err)
	if !u.TOTP.Secret.Equal(key) || u.TOTP.Digits != 8 || u.TOTP.Period != 60 || u.TOTP.Algorithm != "SHA256" {
		t.Error("TOTP did not survive reopening")
	}
	if u.State != store.StateActive || u.LastStep != 500 || u.Drift != 1 || u.RecoveryLeft != 1 {
		t.Errorf("user after reopen: %+v", u)
	}
	want := now.Truncate(time.Microsecond).UTC()
	if u.EnrolledAt != want || u.CreatedAt != want || u.EnrolledAt.Location() != time.UTC {
		t.Errorf("EnrolledAt %v CreatedAt %v, want %v (UTC, microseconds)", u.EnrolledAt, u.CreatedAt, want)
	}
	if err := s.AcceptStep(ctx, "alice", 500, 0, now); !errors.Is(err, store.ErrReplay) {
		t.Errorf("replay after reopen: %v, want ErrReplay", err)
	}
}

// The secret is sealed at rest, and bound to its user: a row copied to
// another user, or read with another master key, does not decrypt.
func TestSealedSecret(t *testing.T) {
	ctx := t.Context()
	dsn := freshDSN(t)
	s := openAt(t, dsn)
	key := []byte("12345678901234567890")
	tp := store.TOTP{Secret: secret.New(key), Digits: 6, Period: 30, Algorithm: "SHA1"}
	for _, name := range []string{"alice", "mallory"} {
		mustDo(t, s.Import(ctx, name, tp, time.Unix(100, 0), false))
	}
	var sealed []byte
	sql(t, dsn, `SELECT totp_secret FROM users WHERE name = 'alice'`, nil, &sealed)
	if bytes.Contains(sealed, key) {
		t.Fatal("the secret is stored in clear")
	}
	sql(t, dsn, `UPDATE users SET totp_secret = $1 WHERE name = 'mallory'`, []any{sealed})
	_, err := s.Get(ctx, "mallory")
	if err == nil || errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Get of a row with alice's secret: %v, want a decryption error", err)
	}
	if strings.Contains(err.Error(), string(key)) {
		t.Errorf("error shows the secret: %v", err)
	}
	if _, err := s.List(ctx); err == nil {
		t.Error("List with an undecryptable row succeeded")
	}
	s.Close()
	if _, err := Open(ctx, Options{DSN: dsn, Key: secret.New(bytes.Repeat([]byte{9}, 32))}); !errors.Is(err, ErrWrongKey) {
		t.Errorf("Open with the wrong master key: %v, want ErrWrongKey", err)
	}
}

// TestWrongKeyRefused: a database opened with another key file fails at
// Open with ErrWrongKey, not later on every login.
func TestWrongKeyRefused(t *testing.T) {
	dsn := freshDSN(t)
	key := func(b byte) secret.Value { return secret.New(bytes.Repeat([]byte{b}, store.KeySize)) }
	s, err := Open(t.Context(), Options{DSN: dsn, Key: key(1)})
	mustDo(t, err)
	s.Close()
	if _, err := Open(t.Context(), Options{DSN: dsn, Key: key(2)}); !errors.Is(err, ErrWrongKey) {
		t.Fatalf("open with another key: %v", err)
	}
	s, err = Open(t.Context(), Options{DSN: dsn, Key: key(1)})
	if err != nil {
		t.Fatalf("reopen with the right key: %v", err)
	}
	s.Close()
}

func TestMigrations(t *testing.T) {
	all, err := migrations()
	mustDo(t, err)
	if len(all) == 0 || all[0].Version != 1 {
		t.Fatalf("migrations %v", all)
	}
	dsn := freshDSN(t)
	openAt(t, dsn).Close()
	openAt(t, dsn).Close() // reopening applies nothing twice
	var n int
	sql(t, dsn, `SELECT count(*) FROM schema_version`, nil, &n)
	if n != len(all) {
		t.Errorf("schema_version has %d rows, want %d", n, len(all))
	}
	// A schema from a newer radiusd is refused, before anything changes.
	sql(t, dsn, `INSERT INTO schema_version (version) VALUES ($1)`, []any{len(all) + 1})
	_, err = Open(t.Context(), Options{DSN: dsn, Key: testKey})
	if err == nil || !strings.Contains(err.Error(), "newer") || !strings.HasPrefix(err.Error(), "pgstore: open: ") {
		t.Errorf("Open of a newer schema: %v", err)
	}
}

// Several nodes opening one empty database at once all succeed, and the
// schema is created once.
func TestMigrationRace(t *testing.T) {
	dsn := freshDSN(t)
	const nodes = 4
	var wg sync.WaitGroup
	errs := make([]error, nodes)
	start := make(chan struct{})
	for i := range nodes {
		wg.Go(func() {
			<-start
			s, err := Open(t.Context(), Options{DSN: dsn, Key: testKey})
			if err == nil {
				err = s.Ping(t.Context())
				s.Close()
			}
			errs[i] = err
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("node %d: %v", i, err)
		}
	}
	all, _ := migrations()
	var versions, keys int
	sql(t, dsn, `SELECT (SELECT count(*) FROM schema_version), (SELECT count(*) FROM key_check)`, nil, &versions, &keys)
	if versions != len(all) || keys != 1 {
		t.Errorf("%d schema_version rows and %d key checks, want %d and 1", versions, keys, len(all))
	}
}

func TestCountByState(t *testing.T) {
	ctx := t.Context()
	s := openAt(t, freshDSN(t))
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, name := range []string{"alice", "bob", "carol"} {
		mustDo(t, s.Enroll(ctx, name, totp(7), now, false))
	}
	mustDo(t, s.Activate(ctx, "alice", 500, 0, nil, now))
	mustDo(t, s.Reset(ctx, "carol"))
	got, err := s.CountByState(ctx)
	mustDo(t, err)
	want := map[store.State]int{store.StateActive: 1, store.StatePending: 1, store.StateNone: 1}
	if !maps.Equal(got, want) {
		t.Errorf("CountByState = %v, want %v", got, want)
	}
}

// Expired challenges are purged by PutChallenge against the callers'
// latest time, a bounded batch at a time; IDs are stored as digests.
func TestChallengePurge(t *testing.T) {
	ctx := t.Context()
	dsn := freshDSN(t)
	s := openAt(t, dsn)
	base := time.Unix(1_000_000, 0)
	for i := range 2 * purgeBatch {
		mustDo(t, s.PutChallenge(ctx, store.Challenge{ID: []byte{byte(i)}, User: "u", Client: "c", Expires: base.Add(time.Minute)}))
	}
	count := func() (n int) {
		sql(t, dsn, `SELECT count(*) FROM challenges`, nil, &n)
		return n
	}
	if _, err := s.TakeChallenge(ctx, []byte("none"), base.Add(time.Hour)); !errors.Is(err, store.ErrNotFound) {
		t.Fatal(err)
	}
	mustDo(t, s.PutChallenge(ctx, store.Challenge{ID: []byte("live"), User: "u", Client: "c", Expires: base.Add(2 * time.Hour)}))
	if got := count(); got != purgeBatch+1 {
		t.Errorf("%d challenges after one purge, want %d", got, purgeBatch+1)
	}
	mustDo(t, s.PutChallenge(ctx, store.Challenge{ID: []byte("live2"), User: "u", Client: "c", Expires: base.Add(2 * time.Hour)}))
	if got := count(); got != 2 {
		t.Errorf("%d challenges after two purges, want 2", got)
	}
	var idDigest []byte
	sql(t, dsn, `SELECT id_digest FROM challenges LIMIT 1`, nil, &idDigest)
	if bytes.HasPrefix(idDigest, []byte("live")) {
		t.Error("challenge ID stored in clear")
	}
}

// Names PostgreSQL text cannot hold (NUL, invalid UTF-8) are never found,
// and refused with an error where they would create a row.
func TestUnstorableNames(t *testing.T) {
	ctx := t.Context()
	s := openAt(t, freshDSN(t))
	now := time.Unix(100, 0)
	for _, name := range []string{"alice\x00", "\xff\xfe", "a\x00b"} {
		t.Run(strings.ToValidUTF8(strings.ReplaceAll(name, "\x00", "NUL"), "?"), func(t *testing.T) {
			for what, err := range map[string]error{
				"Get":    func() error { _, err := s.Get(ctx, name); return err }(),
				"Accept": s.AcceptStep(ctx, name, 1, 0, now),
				"Use":    s.UseRecoveryCode(ctx, name, []byte{1}, now),
				"Codes":  s.ReplaceRecoveryCodes(ctx, name, nil, now),
				"Reset":  s.Reset(ctx, name),
				"Unlock": s.Unlock(ctx, name),
			} {
				if !errors.Is(err, store.ErrNotFound) {
					t.Errorf("%s: %v, want ErrNotFound", what, err)
				}
			}
			if err := s.Activate(ctx, name, 1, 0, nil, now); !errors.Is(err, store.ErrNotPending) {
				t.Errorf("Activate: %v, want ErrNotPending", err)
			}
			for what, err := range map[string]error{
				"Enroll":    s.Enroll(ctx, name, totp(1), now, false),
				"Import":    s.Import(ctx, name, totp(1), now, false),
				"SetPolicy": s.SetPolicy(ctx, name, store.PolicyExempt, now),
				"SetMethod": s.SetMethod(ctx, name, store.MethodSMS, now),
				"Send":      s.ReserveSend(ctx, name, now, time.Minute),
				"Failure":   func() error { _, err := s.RecordFailure(ctx, name, store.Failure{Now: now}); return err }(),
				"Grace":     func() error { _, err := s.StartGrace(ctx, name, now); return err }(),
				"Challenge": s.PutChallenge(ctx, store.Challenge{ID: []byte("x"), User: name, Client: "c", Expires: now}),
			} {
				if err == nil || !strings.HasPrefix(err.Error(), "pgstore: ") {
					t.Errorf("%s: %v, want a pgstore error", what, err)
				}
			}
		})
	}
	users, err := s.List(ctx)
	if err != nil || len(users) != 0 {
		t.Errorf("List: %d users, %v; want none", len(users), err)
	}
}

// A database at schema version 1 (before e-mail and SMS codes) keeps its
// users, who get store.MethodDefault, and its challenges, which have no
// code digest.
func TestMigrateSentCodes(t *testing.T) {
	ctx := t.Context()
	all, err := migrations()
	mustDo(t, err)
	dsn := freshDSN(t)
	sql(t, dsn, `CREATE TABLE schema_version (version integer NOT NULL PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`, nil)
	sql(t, dsn, all[0].SQL, nil)
	sql(t, dsn, `INSERT INTO schema_version (version) VALUES (1)`, nil)
	sql(t, dsn, `INSERT INTO users (name, policy, created_at) VALUES ('alice', 'exempt', now())`, nil)
	id := sha256.Sum256([]byte("old"))
	sql(t, dsn, `INSERT INTO challenges (id_digest, user_name, client, expires) VALUES ($1, 'alice', 'vpn', $2)`,
		[]any{id[:], time.Unix(60, 0)})

	s := openAt(t, dsn)
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
	var n int
	sql(t, dsn, `SELECT count(*) FROM schema_version`, nil, &n)
	if n != len(all) {
		t.Errorf("schema_version has %d rows, want %d", n, len(all))
	}
}
