package pgtest

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// query runs one SELECT on dsn and returns its single text value.
func query(ctx context.Context, dsn, sql string) (string, error) {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return "", err
	}
	defer conn.Close(context.Background())
	var v string
	err = conn.QueryRow(ctx, sql).Scan(&v)
	return v, err
}

func TestCluster(t *testing.T) {
	c := New(t)
	ctx := t.Context()
	dsn := c.NewDatabase(t)
	if !strings.Contains(dsn, c.Password()) || !strings.Contains(dsn, "127.0.0.1") {
		t.Errorf("DSN %q lacks the password or the loopback address", dsn)
	}
	got, err := query(ctx, dsn, `SELECT current_database() || ' ' || current_setting('server_encoding') || ' ' || current_setting('fsync')`)
	if err != nil || !strings.HasPrefix(got, "test_1 UTF8 off") {
		t.Fatalf("new database: %q, %v", got, err)
	}
	wrong := strings.Replace(dsn, c.Password(), "wrong", 1)
	if _, err := query(ctx, wrong, `SELECT 'x'`); err == nil {
		t.Error("a wrong password was accepted: authentication must be by password")
	}
	if _, err := c.CreateDatabase(ctx, "Bad; DROP"); err == nil {
		t.Error("CreateDatabase accepted a name that needs quoting")
	}

	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	if _, err := query(short, dsn, `SELECT 'x'`); err == nil {
		t.Error("query on a stopped cluster succeeded")
	}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	if got, err := query(ctx, dsn, `SELECT current_database()`); err != nil || got != "test_1" {
		t.Errorf("after restart: %q, %v", got, err)
	}
}

func TestPause(t *testing.T) {
	c := New(t)
	dsn := c.NewDatabase(t)
	open, err := pgx.Connect(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer open.Close(context.Background())
	if err := c.Pause(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	if _, err := query(ctx, dsn, `SELECT 'x'`); err == nil {
		t.Error("new connection to a paused cluster succeeded")
	}
	if _, err := open.Exec(ctx, `SELECT 1`); err == nil {
		t.Error("query on a connection opened before the pause succeeded")
	}
	if err := c.Resume(); err != nil {
		t.Fatal(err)
	}
	if _, err := query(t.Context(), dsn, `SELECT 'x'`); err != nil {
		t.Errorf("after Resume: %v", err)
	}
}

func TestSharedAndRemoval(t *testing.T) {
	c := Shared(t)
	if Shared(t) != c {
		t.Error("Shared started a second cluster")
	}
	own := New(t)
	dir := own.dir
	if err := own.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("cluster directory left behind: %v", err)
	}
}

func TestMain(m *testing.M) { os.Exit(Main(m)) }

func TestStart(t *testing.T) {
	dsn, stop := Start(t)
	if _, err := query(t.Context(), dsn, `SELECT current_user`); err != nil {
		t.Fatal(err)
	}
	stop()
	ctx, cancel := context.WithTimeout(t.Context(), time.Second)
	defer cancel()
	if _, err := query(ctx, dsn, `SELECT current_user`); err == nil {
		t.Error("query after stop succeeded")
	}
}

// recorder is a testing.TB that records Skip and Fatal instead of ending
// the test.
type recorder struct {
	testing.TB
	skipped, failed bool
}

func (r *recorder) Helper()      {}
func (r *recorder) Skip(...any)  { r.skipped = true }
func (r *recorder) Fatal(...any) { r.failed = true }

// Without binaries, tests skip with the install hint, or fail when
// RADIUSD_INTEGRATION_REQUIRED=1.
func TestNotInstalled(t *testing.T) {
	old := debianBinaries
	debianBinaries = filepath.Join(t.TempDir(), "*", "bin")
	t.Cleanup(func() { debianBinaries = old })
	t.Setenv("PATH", t.TempDir())
	if _, err := NewCluster(); !errors.Is(err, ErrNotInstalled) || !strings.Contains(err.Error(), "apt-get install -y postgresql") {
		t.Fatalf("NewCluster without binaries: %v", err)
	}
	for _, required := range []string{"", "1"} {
		t.Setenv(requiredEnv, required)
		r := &recorder{TB: t}
		skipOrFail(r, ErrNotInstalled)
		if r.skipped != (required == "") || r.failed != (required == "1") {
			t.Errorf("%s=%q: skipped %v failed %v", requiredEnv, required, r.skipped, r.failed)
		}
	}
}
