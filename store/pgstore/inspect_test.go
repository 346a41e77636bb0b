package pgstore

import (
	"strings"
	"testing"

	"radiusd/secret"
	"radiusd/store/pgstore/pgtest"
)

func TestInspect(t *testing.T) {
	c := pgtest.Shared(t)
	dsn := c.NewDatabase(t)
	fresh, err := Inspect(t.Context(), Options{DSN: dsn, Key: testKey})
	if err != nil {
		t.Fatal(err)
	}
	if fresh.SchemaVersion != 0 || fresh.Latest < 1 || fresh.KeyChecked {
		t.Errorf("new database: %+v", fresh)
	}
	again, err := Inspect(t.Context(), Options{DSN: dsn, Key: testKey})
	if err != nil || again != fresh {
		t.Errorf("second Inspect: %+v, %v: the first one changed the database", again, err)
	}
	s, err := Open(t.Context(), Options{DSN: dsn, Key: testKey})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	opened, err := Inspect(t.Context(), Options{DSN: dsn, Key: testKey})
	if err != nil {
		t.Fatal(err)
	}
	if opened.SchemaVersion != opened.Latest || !opened.KeyChecked || !opened.KeyMatches {
		t.Errorf("opened database: %+v", opened)
	}
	other := secret.New([]byte(strings.Repeat("k", 32)))
	wrong, err := Inspect(t.Context(), Options{DSN: dsn, Key: other})
	if err != nil || !wrong.KeyChecked || wrong.KeyMatches {
		t.Errorf("another key: %+v, %v", wrong, err)
	}
	_, err = Inspect(t.Context(), Options{DSN: dsn + "&default_transaction_read_only=on", Key: testKey})
	if err == nil || !strings.Contains(err.Error(), "read-only") {
		t.Errorf("read-only session: %v", err)
	}
}
