package storetest

import (
	"errors"
	"reflect"
	"slices"
	"testing"
	"time"

	"radiusd/store"
)

// runCopy checks store.Copier, for drivers that implement it: every kind of
// user survives Export then Restore into a second store field by field, a
// copied recovery code works once, a copied replay record still refuses its
// step, the last sent code is not copied, and Restore refuses a name the
// store knows. The audit trail follows (see copyAudit).
func runCopy(t *testing.T, open Opener) {
	src := open(t)
	t.Cleanup(func() { src.Close() })
	if _, ok := src.(store.Copier); !ok {
		t.Skip("the driver does not implement store.Copier")
	}
	dst := open(t)
	t.Cleanup(func() { dst.Close() })
	populate(t, src)
	want, err := src.List(t.Context())
	checkErr(t, "List source", err, nil)

	var records []store.Record
	err = src.(store.Copier).Export(t.Context(), func(r store.Record) error {
		records = append(records, r)
		return dst.(store.Copier).Restore(t.Context(), r)
	})
	checkErr(t, "Export", err, nil)
	if len(records) != len(want) {
		t.Fatalf("exported %d records, want %d", len(records), len(want))
	}
	got, err := dst.List(t.Context())
	checkErr(t, "List copy", err, nil)
	if len(got) != len(want) {
		t.Fatalf("copy has %d users, want %d", len(got), len(want))
	}
	for i := range want {
		sameUser(t, got[i], want[i])
	}
	checkErr(t, "Restore known name", dst.(store.Copier).Restore(t.Context(), records[0]), store.ErrExists)

	ctx := t.Context()
	checkErr(t, "copied recovery code", dst.UseRecoveryCode(ctx, "active", digests(1, 3)[1], at(20)), nil)
	checkErr(t, "copied recovery code again", dst.UseRecoveryCode(ctx, "active", digests(1, 3)[1], at(21)), store.ErrNotFound)
	checkErr(t, "used code not copied", dst.UseRecoveryCode(ctx, "active", digests(1, 3)[0], at(21)), store.ErrNotFound)
	checkErr(t, "copied replay record", dst.AcceptStep(ctx, "active", 105, 0, at(22)), store.ErrReplay)
	checkErr(t, "next step", dst.AcceptStep(ctx, "active", 106, 0, at(22)), nil)
	checkErr(t, "send after copy", dst.ReserveSend(ctx, "sms", at(23), time.Hour), nil)
	checkErr(t, "send again", src.ReserveSend(ctx, "sms", at(23), time.Hour), store.ErrTooSoon)
	copyAudit(t, src, dst)
}

// copyAudit checks the audit trail's part of store.Copier: ExportAudit
// gives every entry oldest first; RestoreAudit in several calls keeps
// each field and the order (new IDs), stores nothing of a slice with a bad
// entry, and entries added later are newer; an error from fn ends
// ExportAudit and comes back as it is.
func copyAudit(t *testing.T, src, dst store.Store) {
	ctx := t.Context()
	want := auditRange(0, 5)
	addAudit(t, src, want...)
	var exported []store.AuditEntry
	checkErr(t, "ExportAudit", src.(store.Copier).ExportAudit(ctx, func(e store.AuditEntry) error {
		exported = append(exported, e)
		return nil
	}), nil)
	sameAudit(t, "exported, reversed", reversed(exported), want)
	bad := slices.Concat(exported[3:], []store.AuditEntry{auditEntry(9)})
	bad[1].Action = "Bad Action"
	if err := dst.(store.Copier).RestoreAudit(ctx, bad); !backendError(err) {
		t.Errorf("RestoreAudit with a bad entry: %v, want a backend error", err)
	}
	sameAudit(t, "after a refused RestoreAudit", listAudit(t, dst, store.AuditQuery{}), nil)
	for _, part := range [][]store.AuditEntry{exported[:2], nil, exported[2:]} {
		checkErr(t, "RestoreAudit", dst.(store.Copier).RestoreAudit(ctx, part), nil)
	}
	addAudit(t, dst, auditEntry(5))
	sameAudit(t, "copied trail", listAudit(t, dst, store.AuditQuery{}), auditRange(0, 6))
	stop := errors.New("stop")
	if err := src.(store.Copier).ExportAudit(ctx, func(store.AuditEntry) error { return stop }); !errors.Is(err, stop) {
		t.Errorf("ExportAudit with a failing fn: %v, want fn's error as it is", err)
	}
}

// reversed returns a reversed copy of entries.
func reversed(entries []store.AuditEntry) []store.AuditEntry {
	out := slices.Clone(entries)
	slices.Reverse(out)
	return out
}

// populate stores an active user with a spent and two unused recovery
// codes and a replay record, a pending one, a locked one, an exempt one
// known only for its policy, one in a grace period, and users with each
// method (one known only for its method, one for its last send).
func populate(t *testing.T, s store.Store) {
	ctx := t.Context()
	mustActive(t, s, "active", 1, digests(1, 3))
	checkErr(t, "UseRecoveryCode", s.UseRecoveryCode(ctx, "active", digests(1, 3)[0], at(2)), nil)
	checkErr(t, "AcceptStep", s.AcceptStep(ctx, "active", 105, -1, at(3)), nil)
	checkErr(t, "SetPolicy", s.SetPolicy(ctx, "active", store.PolicyRequired, at(3)), nil)
	checkErr(t, "Enroll", s.Enroll(ctx, "pending", totp(2), at(4), false), nil)
	mustActive(t, s, "locked", 3, nil)
	_, err := s.RecordFailure(ctx, "locked", store.Failure{Fingerprint: []byte{1}, Now: at(5), MaxFailures: 1, LockFor: time.Hour})
	checkErr(t, "RecordFailure", err, nil)
	_, err = s.RecordFailure(ctx, "counted", store.Failure{Fingerprint: []byte{2}, Now: at(6), MaxFailures: 5, LockFor: time.Hour})
	checkErr(t, "RecordFailure", err, nil)
	checkErr(t, "SetPolicy", s.SetPolicy(ctx, "exempt", store.PolicyExempt, at(7)), nil)
	_, err = s.StartGrace(ctx, "grace", at(8))
	checkErr(t, "StartGrace", err, nil)
	checkErr(t, "SetMethod", s.SetMethod(ctx, "active", store.MethodTOTP, at(9)), nil)
	checkErr(t, "SetMethod", s.SetMethod(ctx, "pending", store.MethodEmail, at(9)), nil)
	checkErr(t, "SetMethod", s.SetMethod(ctx, "sms", store.MethodSMS, at(9)), nil)
	checkErr(t, "ReserveSend", s.ReserveSend(ctx, "sms", at(9), time.Hour), nil)
	checkErr(t, "ReserveSend", s.ReserveSend(ctx, "sent", at(9), time.Hour), nil)
}

// sameUser fails unless got equals want in every field.
func sameUser(t *testing.T, got, want store.User) {
	t.Helper()
	sameTOTP(t, got.TOTP, want.TOTP)
	got.TOTP, want.TOTP = store.TOTP{}, store.TOTP{}
	for _, tm := range []*time.Time{&got.LockedUntil, &got.EnrolledAt, &got.LastUsed, &got.GraceStarted, &got.CreatedAt,
		&want.LockedUntil, &want.EnrolledAt, &want.LastUsed, &want.GraceStarted, &want.CreatedAt} {
		*tm = tm.UTC()
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("copied user %q:\n got %+v\nwant %+v", want.Name, got, want)
	}
}
