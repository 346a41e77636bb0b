package auth

import (
	"crypto/rand"
	"errors"
	"strings"
	"testing"
	"time"

	"radiusd/otp"
	"radiusd/store"
)

func newAccounts(t *testing.T, e *env) *Accounts {
	t.Helper()
	a, err := NewAccounts(AccountOptions{
		Names:         NameRules{Lowercase: true},
		Issuer:        "Example VPN",
		Params:        otp.DefaultParams,
		Skew:          1,
		RecoveryCount: 8,
		RecoveryKey:   key32,
		Now:           func() time.Time { return e.now },
		Rand:          rand.Reader,
	}, e.st)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestEnrollConfirmAndCodes(t *testing.T) {
	e := newEnv(t, nil)
	acc := newAccounts(t, e)
	en, err := acc.Enroll(t.Context(), "Alice", false)
	if err != nil {
		t.Fatal(err)
	}
	if en.User != "alice" || !strings.HasPrefix(string(en.URI.Bytes()), "otpauth://totp/Example%20VPN:alice?") {
		t.Fatalf("enrollment = %+v / %s", en, en.URI.Bytes())
	}
	if _, err := acc.Confirm(t.Context(), "alice", "000000"); !errors.Is(err, ErrWrongCode) {
		t.Fatalf("wrong confirm code: %v", err)
	}
	code, _ := otp.Code(en.Secret, en.Params, otp.Step(e.now, 30))
	list, err := acc.Confirm(t.Context(), "alice", code)
	if err != nil || len(list) != 8 {
		t.Fatalf("confirm: %v, %d codes", err, len(list))
	}
	// The confirming code is used: it cannot log in again.
	if d := e.do(t, ModeOTPOnly, "alice", code); d.Reason != "replayed_code" {
		t.Fatalf("confirm code reused: %v/%s", d.Result, d.Reason)
	}
	if _, err := acc.Enroll(t.Context(), "alice", false); !errors.Is(err, store.ErrExists) {
		t.Fatalf("second enroll without force: %v", err)
	}
	fresh, err := acc.NewRecoveryCodes(t.Context(), "alice")
	if err != nil {
		t.Fatal(err)
	}
	if d := e.do(t, ModeOTPOnly, "alice", list[0]); d.Result != Reject {
		t.Fatal("an old recovery code still works after a new set")
	}
	if d := e.do(t, ModeOTPOnly, "alice", fresh[0]); d.Result != Accept {
		t.Fatalf("new recovery code: %v/%s", d.Result, d.Reason)
	}
}

func TestConfirmNothingPending(t *testing.T) {
	e := newEnv(t, nil)
	acc := newAccounts(t, e)
	if _, err := acc.Confirm(t.Context(), "alice", "123456"); !errors.Is(err, store.ErrNotPending) {
		t.Fatalf("err = %v", err)
	}
	if _, err := acc.Enroll(t.Context(), "\x00", false); !errors.Is(err, ErrBadName) {
		t.Fatalf("bad name: %v", err)
	}
}

func TestImport(t *testing.T) {
	e := newEnv(t, nil)
	acc := newAccounts(t, e)
	if err := acc.Import(t.Context(), "alice", e.sec, otp.DefaultParams, false); err != nil {
		t.Fatal(err)
	}
	if d := e.do(t, ModeOTPOnly, "alice", e.code(t, 0)); d.Result != Accept {
		t.Fatalf("imported secret: %v/%s", d.Result, d.Reason)
	}
	if err := acc.Import(t.Context(), "alice", e.sec, otp.DefaultParams, false); !errors.Is(err, store.ErrExists) {
		t.Fatalf("import over active: %v", err)
	}
	if err := acc.Import(t.Context(), "bob", e.sec, otp.Params{Digits: 7, Period: 30, Algorithm: "SHA1"}, false); err == nil {
		t.Fatal("7 digits accepted")
	}
}
