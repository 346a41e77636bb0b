package store_test

import (
	"strings"
	"testing"
	"testing/fstest"

	"radiusd/store"
)

func TestLoadMigrations(t *testing.T) {
	ok := fstest.MapFS{
		"m/0002_more.sql": {Data: []byte("B")},
		"m/0001_init.sql": {Data: []byte("A")},
	}
	got, err := store.LoadMigrations(ok, "m")
	if err != nil || len(got) != 2 || got[0].Name != "0001_init.sql" || got[1].SQL != "B" || got[1].Version != 2 {
		t.Fatalf("LoadMigrations = %+v, %v", got, err)
	}
	for name, files := range map[string]fstest.MapFS{
		"gap":       {"m/0001_a.sql": {}, "m/0003_c.sql": {}},
		"duplicate": {"m/0001_a.sql": {}, "m/1_b.sql": {}},
		"bad name":  {"m/init.sql": {}},
		"zero":      {"m/0000_a.sql": {}},
	} {
		if _, err := store.LoadMigrations(files, "m"); err == nil || !strings.HasPrefix(err.Error(), "migrations: ") {
			t.Errorf("%s: err = %v", name, err)
		}
	}
}
