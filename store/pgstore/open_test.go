package pgstore

import (
	"context"
	"strings"
	"testing"
	"time"

	"radiusd/secret"
	"radiusd/store/pgstore/pgtest"

	"github.com/jackc/pgx/v5"
)

func TestOpenOptions(t *testing.T) {
	const pw = "s3cretPassw0rd"
	tests := []struct {
		name   string
		opts   Options
		errHas string
	}{
		{name: "no key", opts: Options{DSN: "postgres://localhost/x"}, errHas: "32 bytes"},
		{name: "short key", opts: Options{DSN: "postgres://localhost/x", Key: secret.New(make([]byte, 16))}, errHas: "32 bytes"},
		{name: "no dsn", opts: Options{Key: testKey}, errHas: "dsn is empty"},
		{name: "negative max conns", opts: Options{DSN: "postgres://localhost/x", Key: testKey, MaxConns: -1}, errHas: "negative"},
		{name: "negative statement timeout", opts: Options{DSN: "postgres://localhost/x", Key: testKey, StatementTimeout: -time.Second}, errHas: "negative"},
		{name: "negative connect timeout", opts: Options{DSN: "postgres://localhost/x", Key: testKey, ConnectTimeout: -time.Second}, errHas: "negative"},
		{name: "bad URL", opts: Options{DSN: "postgres://radiusd:" + pw + "@db:port/x", Key: testKey}, errHas: "cannot parse"},
		{name: "bad URL escape", opts: Options{DSN: "postgres://radiusd:" + pw + "%zz@db/x", Key: testKey}, errHas: "cannot parse"},
		{name: "bad key=value", opts: Options{DSN: "host=db port=x password=" + pw, Key: testKey}, errHas: "cannot parse"},
		{name: "unquoted key=value", opts: Options{DSN: "host=db password='" + pw, Key: testKey}, errHas: "cannot parse"},
		{name: "connection refused", opts: Options{DSN: "postgres://radiusd:" + pw + "@127.0.0.1:1/x?sslmode=disable", Key: testKey}, errHas: "connect"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			s, err := Open(t.Context(), tt.opts)
			if err == nil {
				s.Close()
				t.Fatal("Open succeeded")
			}
			t.Log(err)
			if !strings.HasPrefix(err.Error(), "pgstore: ") || !strings.Contains(err.Error(), tt.errHas) {
				t.Errorf("error %q, want pgstore: … %s", err, tt.errHas)
			}
			if strings.Contains(err.Error(), pw) {
				t.Errorf("error shows the password: %v", err)
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("Open took %v", d)
			}
		})
	}
}

// Open refuses databases it cannot serve correctly, with errors that name
// the problem and never the password.
func TestOpenRefusesDatabase(t *testing.T) {
	c := pgtest.Shared(t)
	admin := c.DSN("postgres")
	sql(t, admin, `CREATE DATABASE latin1 ENCODING 'LATIN1' TEMPLATE template0 LC_COLLATE 'C' LC_CTYPE 'C'`, nil)
	t.Cleanup(func() { sql(t, admin, `DROP DATABASE latin1`, nil) })
	tests := []struct {
		name   string
		dsn    string
		errHas string
	}{
		{name: "wrong password", dsn: strings.Replace(c.NewDatabase(t), c.Password(), "WrongPassword1", 1), errHas: "password authentication failed"},
		{name: "no such database", dsn: c.DSN("nosuchdb"), errHas: "does not exist"},
		{name: "read-only session", dsn: c.NewDatabase(t) + "&default_transaction_read_only=on", errHas: "read-only"},
		{name: "latin1 database", dsn: c.DSN("latin1"), errHas: "UTF8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Open(t.Context(), Options{DSN: tt.dsn, Key: testKey})
			if err == nil {
				s.Close()
				t.Fatal("Open succeeded")
			}
			t.Log(err)
			if !strings.HasPrefix(err.Error(), "pgstore: open: ") || !strings.Contains(err.Error(), tt.errHas) {
				t.Errorf("error %q, want pgstore: open: … %s", err, tt.errHas)
			}
			for _, pw := range []string{c.Password(), "WrongPassword1"} {
				if strings.Contains(err.Error(), pw) {
					t.Errorf("error shows a password: %v", err)
				}
			}
		})
	}
}

// TestSynchronous: "normal" turns synchronous_commit off for the Store's
// sessions only (the setting's source is then the client); "full" (and "")
// leave the server's setting; anything else is refused.
func TestSynchronous(t *testing.T) {
	c := pgtest.Shared(t)
	dsn := c.NewDatabase(t)
	for _, tt := range []struct{ sync, want string }{{"", "server"}, {"full", "server"}, {"normal", "off client"}} {
		s, err := Open(t.Context(), Options{DSN: dsn, Key: testKey, Synchronous: tt.sync})
		if err != nil {
			t.Fatal(err)
		}
		var setting, source string
		err = s.pool.run(t.Context(), func(ctx context.Context, conn *pgx.Conn) error {
			return conn.QueryRow(ctx, "SELECT setting, source FROM pg_settings WHERE name = 'synchronous_commit'").Scan(&setting, &source)
		})
		s.Close()
		got := setting + " " + source
		if source != "client" {
			got = "server"
		}
		if err != nil || got != tt.want {
			t.Errorf("synchronous %q: synchronous_commit %q from %q (%v), want %s", tt.sync, setting, source, err, tt.want)
		}
	}
	if _, err := Open(t.Context(), Options{DSN: dsn, Key: testKey, Synchronous: "off"}); err == nil {
		t.Error("synchronous off was accepted")
	}
}
