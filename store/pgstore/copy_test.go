package pgstore

import (
	"bytes"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"radiusd/store"
	"radiusd/store/sqlstore"
)

// A site moves from SQLite to PostgreSQL (radiusd store copy): the
// records exported by sqlstore restore into pgstore, secrets re-sealed,
// codes and replay records intact.
func TestCopyFromSQLite(t *testing.T) {
	ctx := t.Context()
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	src, err := sqlstore.Open(ctx, sqlstore.Options{Path: filepath.Join(t.TempDir(), "radiusd.db"), Key: testKey})
	mustDo(t, err)
	defer src.Close()
	codes := [][]byte{bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 32)}
	mustDo(t, src.Enroll(ctx, "alice", totp(5), now, false))
	mustDo(t, src.Activate(ctx, "alice", 500, -1, codes, now))
	mustDo(t, src.UseRecoveryCode(ctx, "alice", codes[0], now))
	mustDo(t, src.SetPolicy(ctx, "bob", store.PolicyExempt, now))
	mustDo(t, src.SetMethod(ctx, "bob", store.MethodSMS, now))
	mustDo(t, src.ReserveSend(ctx, "bob", now, time.Hour))
	entry := store.AuditEntry{Time: now, Actor: "cli:root", Action: "policy", Target: "bob", Detail: "exempt", Remote: "local"}
	mustDo(t, src.AddAudit(ctx, entry))

	dst := openAt(t, freshDSN(t))
	mustDo(t, src.Export(ctx, func(r store.Record) error { return dst.Restore(ctx, r) }))
	mustDo(t, src.ExportAudit(ctx, func(e store.AuditEntry) error { return dst.RestoreAudit(ctx, []store.AuditEntry{e}) }))
	if got, err := dst.ListAudit(ctx, store.AuditQuery{}); err != nil || len(got) != 1 || !got[0].Time.Equal(now) ||
		got[0].Actor != entry.Actor || got[0].Detail != entry.Detail {
		t.Errorf("copied audit trail: %+v, %v; want %+v", got, err, entry)
	}
	u, err := dst.Get(ctx, "alice")
	mustDo(t, err)
	if !u.TOTP.Secret.Equal(totp(5).Secret.Bytes()) || u.LastStep != 500 || u.Drift != -1 || u.RecoveryLeft != 1 || !u.EnrolledAt.Equal(now) {
		t.Errorf("copied alice: %+v", u)
	}
	if err := dst.AcceptStep(ctx, "alice", 500, 0, now); !errors.Is(err, store.ErrReplay) {
		t.Errorf("copied replay record: %v, want ErrReplay", err)
	}
	if err := dst.UseRecoveryCode(ctx, "alice", codes[1], now); err != nil {
		t.Errorf("copied unused code: %v", err)
	}
	if u, err := dst.Get(ctx, "bob"); err != nil || u.Policy != store.PolicyExempt || u.Method != store.MethodSMS {
		t.Errorf("copied bob: %+v, %v", u, err)
	}
	if err := dst.ReserveSend(ctx, "bob", now, time.Hour); err != nil {
		t.Errorf("send after copy: %v (the last send is not copied)", err)
	}
	// fn's error ends Export and comes back as it is.
	stop := errors.New("stop")
	if err := dst.Export(ctx, func(store.Record) error { return stop }); !errors.Is(err, stop) {
		t.Errorf("Export with a failing fn: %v, want fn's error", err)
	}
}
