package storetest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"radiusd/store"
)

// auditEntry returns entry n of the suite: two actors, and actions and
// targets in a cycle of three, so that every filter selects some.
func auditEntry(n int) store.AuditEntry {
	actors := []string{"cli:root", "admin"}
	actions := []string{"reset", "unlock", "policy"}
	targets := []string{"alice", "bob", "carol"}
	return store.AuditEntry{
		Time: at(n), Actor: actors[n%2], Action: actions[n%3], Target: targets[n%3],
		Detail: fmt.Sprintf("détail %d", n), Remote: "192.0.2.1",
	}
}

// addAudit adds entries first to last or fails the test.
func addAudit(t *testing.T, s store.Store, entries ...store.AuditEntry) {
	t.Helper()
	for _, e := range entries {
		checkErr(t, "AddAudit", s.AddAudit(t.Context(), e), nil)
	}
}

// auditRange returns auditEntry(from) … auditEntry(to-1).
func auditRange(from, to int) []store.AuditEntry {
	var out []store.AuditEntry
	for n := from; n < to; n++ {
		out = append(out, auditEntry(n))
	}
	return out
}

// listAudit returns ListAudit(q) or fails the test.
func listAudit(t *testing.T, s store.Store, q store.AuditQuery) []store.AuditEntry {
	t.Helper()
	got, err := s.ListAudit(t.Context(), q)
	checkErr(t, fmt.Sprintf("ListAudit(%+v)", q), err, nil)
	if got == nil {
		t.Fatalf("ListAudit(%+v) = nil, want a non-nil slice", q)
	}
	return got
}

// sameAudit fails unless got holds want's entries newest first: the same
// fields (the store's IDs aside) in the reverse order, with IDs strictly
// decreasing.
func sameAudit(t *testing.T, what string, got []store.AuditEntry, want []store.AuditEntry) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d entries, want %d:\n%+v", what, len(got), len(want), got)
	}
	for i, g := range got {
		w := want[len(want)-1-i]
		if i > 0 && g.ID >= got[i-1].ID {
			t.Errorf("%s: entry %d has ID %d after ID %d, want decreasing IDs", what, i, g.ID, got[i-1].ID)
		}
		if !g.Time.Equal(w.Time) || g.Time.Location() != w.Time.UTC().Location() {
			t.Errorf("%s: entry %d time %v, want %v in UTC", what, i, g.Time, w.Time)
		}
		g.ID, w.ID, g.Time = 0, 0, w.Time
		if g != w {
			t.Errorf("%s: entry %d\n got %+v\nwant %+v", what, i, g, w)
		}
	}
}

// Entries come back newest first with every field, the times in UTC; the
// store assigns IDs, ignoring the caller's.
func testAudit(t *testing.T, s store.Store) {
	sameAudit(t, "empty trail", listAudit(t, s, store.AuditQuery{}), nil)
	want := auditRange(0, 6)
	want[2].ID = 1 << 40
	want[3].Target, want[3].Detail, want[3].Remote = "", "", ""
	want[4].Time = want[4].Time.In(fixedZone)
	addAudit(t, s, want...)
	got := listAudit(t, s, store.AuditQuery{})
	sameAudit(t, "all", got, want)
	if got[5].ID <= 0 {
		t.Errorf("first ID %d, want positive", got[5].ID)
	}
	addAudit(t, s, auditEntry(6))
	if later := listAudit(t, s, store.AuditQuery{Limit: 1}); later[0].ID <= got[0].ID {
		t.Errorf("a later entry got ID %d, not above %d", later[0].ID, got[0].ID)
	}
}

func testAuditFilters(t *testing.T, s store.Store) {
	all := auditRange(0, 12)
	addAudit(t, s, all...)
	pick := func(keep func(n int) bool) []store.AuditEntry {
		var out []store.AuditEntry
		for n, e := range all {
			if keep(n) {
				out = append(out, e)
			}
		}
		return out
	}
	for _, tt := range []struct {
		name string
		q    store.AuditQuery
		want []store.AuditEntry
	}{
		{"target", store.AuditQuery{Target: "alice"}, pick(func(n int) bool { return n%3 == 0 })},
		{"actor", store.AuditQuery{Actor: "admin"}, pick(func(n int) bool { return n%2 == 1 })},
		{"both", store.AuditQuery{Target: "alice", Actor: "admin"}, pick(func(n int) bool { return n%6 == 3 })},
		{"unknown target", store.AuditQuery{Target: "dave"}, nil},
		{"target is exact", store.AuditQuery{Target: "Alice"}, nil},
		{"unknown actor", store.AuditQuery{Actor: "cli:"}, nil},
	} {
		t.Run(tt.name, func(t *testing.T) { sameAudit(t, tt.name, listAudit(t, s, tt.q), tt.want) })
	}
}

// Pages follow each other with Before set to the last ID of the previous
// page, with or without a filter, and end with an empty page.
func testAuditPaging(t *testing.T, s store.Store) {
	all := auditRange(0, 7)
	addAudit(t, s, all...)
	for _, tt := range []struct {
		name  string
		q     store.AuditQuery
		want  []store.AuditEntry
		pages int
	}{
		{"all by 3", store.AuditQuery{Limit: 3}, all, 3},
		{"all by 7", store.AuditQuery{Limit: 7}, all, 1},
		{"alice by 1", store.AuditQuery{Target: "alice", Limit: 1}, []store.AuditEntry{all[0], all[3], all[6]}, 3},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var got []store.AuditEntry
			q := tt.q
			for page := 0; ; page++ {
				p := listAudit(t, s, q)
				if len(p) == 0 {
					if page != tt.pages {
						t.Errorf("%d pages, want %d", page, tt.pages)
					}
					break
				}
				got, q.Before = append(got, p...), p[len(p)-1].ID
			}
			sameAudit(t, tt.name, got, tt.want)
		})
	}
	newest := listAudit(t, s, store.AuditQuery{Limit: 1})[0].ID
	sameAudit(t, "before beyond the newest", listAudit(t, s, store.AuditQuery{Before: newest + 100}), all)
	sameAudit(t, "before the newest", listAudit(t, s, store.AuditQuery{Before: newest}), all[:6])
}

// Limit 0 means DefaultAuditLimit; limits outside 0 … MaxAuditLimit and a
// negative Before are refused with a backend error.
func testAuditLimit(t *testing.T, s store.Store) {
	all := auditRange(0, store.DefaultAuditLimit+1)
	addAudit(t, s, all...)
	for _, tt := range []struct {
		limit int
		want  []store.AuditEntry
	}{
		{0, all[1:]}, {1, all[len(all)-1:]}, {store.DefaultAuditLimit + 1, all}, {store.MaxAuditLimit, all},
	} {
		sameAudit(t, fmt.Sprintf("limit %d", tt.limit), listAudit(t, s, store.AuditQuery{Limit: tt.limit}), tt.want)
	}
	for _, q := range []store.AuditQuery{
		{Limit: store.MaxAuditLimit + 1}, {Limit: -1}, {Before: -1},
		{Target: "a\x00b"}, {Target: "\xff"}, {Actor: strings.Repeat("a", store.MaxAuditField+1)},
	} {
		got, err := s.ListAudit(t.Context(), q)
		if !backendError(err) || got != nil {
			t.Errorf("ListAudit(%+v) = %d entries, %v; want nil and a backend error", q, len(got), err)
		}
	}
}

// backendError reports whether err is an error but none of the sentinels.
func backendError(err error) bool {
	for _, s := range []error{store.ErrNotFound, store.ErrReplay, store.ErrExists, store.ErrNotPending, store.ErrTooSoon} {
		if errors.Is(err, s) {
			return false
		}
	}
	return err != nil
}

// fixedZone is a zone other than UTC, for a caller whose clock has one.
var fixedZone = time.FixedZone("UTC+2", 2*60*60)

// Entries that break a rule of AuditEntry.Check are refused with a backend
// error and leave no trace.
func testAuditBadInput(t *testing.T, s store.Store) {
	long := strings.Repeat("x", store.MaxAuditField+1)
	edit := func(f func(e *store.AuditEntry)) store.AuditEntry {
		e := auditEntry(0)
		f(&e)
		return e
	}
	for _, tt := range []struct {
		name string
		e    store.AuditEntry
	}{
		{"zero time", edit(func(e *store.AuditEntry) { e.Time = time.Time{} })},
		{"empty actor", edit(func(e *store.AuditEntry) { e.Actor = "" })},
		{"empty action", edit(func(e *store.AuditEntry) { e.Action = "" })},
		{"upper-case action", edit(func(e *store.AuditEntry) { e.Action = "Reset" })},
		{"action with a space", edit(func(e *store.AuditEntry) { e.Action = "new codes" })},
		{"action starting with a digit", edit(func(e *store.AuditEntry) { e.Action = "2fa_reset" })},
		{"action starting with _", edit(func(e *store.AuditEntry) { e.Action = "_reset" })},
		{"long actor", edit(func(e *store.AuditEntry) { e.Actor = long })},
		{"long action", edit(func(e *store.AuditEntry) { e.Action = long })},
		{"long target", edit(func(e *store.AuditEntry) { e.Target = long })},
		{"long detail", edit(func(e *store.AuditEntry) { e.Detail = long })},
		{"long remote", edit(func(e *store.AuditEntry) { e.Remote = long })},
		{"NUL in target", edit(func(e *store.AuditEntry) { e.Target = "ali\x00ce" })},
		{"NUL in detail", edit(func(e *store.AuditEntry) { e.Detail = "\x00" })},
		{"invalid UTF-8 in actor", edit(func(e *store.AuditEntry) { e.Actor = "adm\xffin" })},
		{"invalid UTF-8 in remote", edit(func(e *store.AuditEntry) { e.Remote = "\xc3" })},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if err := s.AddAudit(t.Context(), tt.e); !backendError(err) {
				t.Errorf("AddAudit: %v, want a backend error", err)
			}
		})
	}
	sameAudit(t, "after refused entries", listAudit(t, s, store.AuditQuery{}), nil)
}

// Entries at the bounds of AuditEntry.Check are stored as they are.
func testAuditBounds(t *testing.T, s store.Store) {
	bounds := []store.AuditEntry{auditEntry(0), auditEntry(1), auditEntry(2)}
	bounds[0].Detail = strings.Repeat("é", store.MaxAuditField/2) // 256 bytes
	bounds[1].Action, bounds[1].Target, bounds[1].Detail, bounds[1].Remote = "new_codes_2", "", "", ""
	bounds[2].Actor, bounds[2].Detail = strings.Repeat("a", store.MaxAuditField), "tab\there\nnewline"
	addAudit(t, s, bounds...)
	sameAudit(t, "entries at the bounds", listAudit(t, s, store.AuditQuery{}), bounds)
}

// Entries added at once from many goroutines all get stored, each with
// its own ID.
func testAuditConcurrent(t *testing.T, s store.Store) {
	const writers, each = 16, 8
	errs := race(writers, func(i int) error {
		for k := range each {
			e := auditEntry(i)
			e.Detail = fmt.Sprintf("writer %d entry %d", i, k)
			if err := s.AddAudit(t.Context(), e); err != nil {
				return err
			}
		}
		return nil
	})
	for i, err := range errs {
		checkErr(t, fmt.Sprintf("writer %d", i), err, nil)
	}
	got := listAudit(t, s, store.AuditQuery{Limit: store.MaxAuditLimit})
	if len(got) != writers*each {
		t.Fatalf("%d entries, want %d", len(got), writers*each)
	}
	ids, details := map[int64]bool{}, map[string]bool{}
	for i, e := range got {
		if ids[e.ID] || details[e.Detail] {
			t.Errorf("entry %d (ID %d, %q) repeats an ID or an entry", i, e.ID, e.Detail)
		}
		if i > 0 && e.ID >= got[i-1].ID {
			t.Errorf("entry %d has ID %d after %d, want decreasing IDs", i, e.ID, got[i-1].ID)
		}
		ids[e.ID], details[e.Detail] = true, true
	}
}

// A canceled context fails both calls, and the entry is not stored.
func testAuditCanceledContext(t *testing.T, s store.Store) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := s.AddAudit(ctx, auditEntry(0)); !backendError(err) {
		t.Errorf("AddAudit with a canceled context: %v, want a backend error", err)
	}
	if got, err := s.ListAudit(ctx, store.AuditQuery{}); !backendError(err) {
		t.Errorf("ListAudit with a canceled context: %d entries, %v; want a backend error", len(got), err)
	}
	sameAudit(t, "after a canceled AddAudit", listAudit(t, s, store.AuditQuery{}), nil)
}
