package config

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestPostgresStore(t *testing.T) {
	dir := t.TempDir()
	dsn := "postgres://radiusd:pw-DO-NOT-PRINT@127.0.0.1:5432/radiusd?sslmode=disable"
	if err := os.WriteFile(filepath.Join(dir, "pg.dsn"), []byte(dsn+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	doc := merge(t, minimal, `store: {driver: postgres, dsn_file: pg.dsn, key_file: /k, pool_size: 4, statement_timeout: 500ms}`)
	cfg, err := Parse([]byte(doc), dir)
	if err != nil {
		t.Fatal(err)
	}
	s := cfg.Store
	if !s.ConnString.Value().Equal([]byte(dsn)) {
		t.Errorf("ConnString is not the file's first line")
	}
	if s.DSNFile != filepath.Join(dir, "pg.dsn") || s.PoolSize != 4 || s.StatementTimeout != 500*time.Millisecond {
		t.Errorf("store = %+v", s)
	}
	if w := cfg.Warnings(); len(w) != 0 {
		t.Errorf("a loopback DSN from a file drew warnings: %q", w)
	}
	defaults, err := Parse([]byte(merge(t, minimal, `store: {driver: postgres, dsn: "host=/run/postgresql dbname=radiusd"}`)), dir)
	if err != nil {
		t.Fatal(err)
	}
	if defaults.Store.PoolSize != DefaultStorePoolSize || defaults.Store.StatementTimeout != DefaultStatementTimeout {
		t.Errorf("defaults: pool_size %d, statement_timeout %s", defaults.Store.PoolSize, defaults.Store.StatementTimeout)
	}
}

func TestPostgresStoreInvalid(t *testing.T) {
	tests := []struct {
		name, store, want string
	}{
		{"neither dsn", `{driver: postgres}`, "store: postgres needs exactly one of dsn and dsn_file"},
		{"both", `{driver: postgres, dsn: "host=db", dsn_file: x}`, "store: postgres needs exactly one of dsn and dsn_file"},
		{"pool", `{driver: postgres, dsn: "host=db", pool_size: 0}`, "store.pool_size: 0 is not between 1 and 1000"},
		{"timeout", `{driver: postgres, dsn: "host=db", statement_timeout: 10ms}`, "store.statement_timeout: 10ms is not between 100ms and 1m"},
		{"missing file", `{driver: postgres, dsn_file: /nonexistent/pg.dsn}`, "store.dsn_file: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(merge(t, minimal, "store: "+tt.store)), t.TempDir())
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestPostgresWarnings(t *testing.T) {
	const (
		inlinePassword = "store.dsn: holds a password; move it to store.dsn_file (mode 0640, root:radiusd)"
		unverified     = "; use sslmode=verify-full with sslrootcert so that the server's certificate is checked"
	)
	tests := []struct {
		name, dsn string
		want      []string
	}{
		{"socket", "host=/run/postgresql dbname=radiusd", nil},
		{"loopback URL", "postgres://radiusd@127.0.0.1/radiusd", nil},
		{"ipv6 loopback", "postgres://radiusd@[::1]:5433/radiusd", nil},
		{"verified remote", "postgres://radiusd@db1,db2/radiusd?sslmode=verify-full&sslrootcert=/etc/ca.pem", nil},
		{"default sslmode remote", "postgres://radiusd@db1/radiusd", []string{"store: the PostgreSQL connection's sslmode is prefer (the default)" + unverified}},
		{"require is not verify", "host=db1 sslmode=require", []string{"store: the PostgreSQL connection's sslmode is require" + unverified}},
		{"inline password", "postgres://radiusd:pw@localhost/radiusd", []string{inlinePassword}},
		{"inline password keyword", "host=/tmp password='pw'", []string{inlinePassword}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := merge(t, minimal, "store: {driver: postgres, dsn: "+quoteYAML(tt.dsn)+"}")
			cfg, err := Parse([]byte(doc), t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, w := range cfg.Warnings() {
				if strings.HasPrefix(w, "store") {
					got = append(got, w)
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("warnings = %q, want %q", got, tt.want)
			}
		})
	}
}

// quoteYAML double-quotes s for a YAML flow scalar.
func quoteYAML(s string) string { return `"` + strings.ReplaceAll(s, `"`, `\"`) + `"` }
