package auth

import (
	"bytes"
	"log/slog"
	"testing"
	"time"

	"radiusd/codes"
	"radiusd/directory/directorytest"
	"radiusd/otp"
	"radiusd/secret"
	"radiusd/store"
)

const (
	pw        = "S3cret!x"
	enrollURL = "https://vpn.example.org/enroll"
)

var (
	t0     = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	params = otp.Params{Digits: 6, Period: 30, Algorithm: "SHA1"}
	key32  = bytes.Repeat([]byte{7}, 32)
)

type env struct {
	a    *Authenticator
	dir  *directorytest.Fake
	st   *fakeStore
	now  time.Time
	sec  secret.Value
	logs *bytes.Buffer
}

func newEnv(t *testing.T, mutate func(*Options)) *env {
	t.Helper()
	e := &env{
		dir: &directorytest.Fake{Users: map[string]directorytest.FakeUser{
			"alice": {Password: pw, Groups: []string{"vpn-users"}},
			"bob":   {Password: pw, Groups: []string{"staff"}},
			"carol": {Password: pw, Disabled: true},
		}},
		st:   newFakeStore(),
		now:  t0,
		sec:  secret.New([]byte("12345678901234567890")),
		logs: &bytes.Buffer{},
	}
	opts := Options{
		Names:          NameRules{Lowercase: true, StripDomains: []string{"EXAMPLE"}, StripRealms: []string{"example.org"}},
		Enforce:        EnforceAll,
		EnrollURL:      enrollURL,
		Skew:           1,
		MaxDrift:       4,
		MaxFailures:    3,
		LockFor:        15 * time.Minute,
		RecoveryKey:    key32,
		FingerprintKey: bytes.Repeat([]byte{9}, 32),
		Now:            func() time.Time { return e.now },
		Rand:           bytes.NewReader(bytes.Repeat([]byte{1, 2, 3, 4}, 1024)),
	}
	if mutate != nil {
		mutate(&opts)
	}
	logger := slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	a, err := New(opts, e.dir, e.st, logger)
	if err != nil {
		t.Fatal(err)
	}
	e.a = a
	return e
}

// enroll makes name an active user with e.sec and returns its record.
func (e *env) enroll(name string) *store.User {
	u := e.st.user(name)
	u.State = store.StateActive
	u.TOTP = store.TOTP{Secret: e.sec, Digits: 6, Period: 30, Algorithm: "SHA1"}
	return u
}

// code returns the TOTP code offset steps from now.
func (e *env) code(t *testing.T, offset int) string {
	t.Helper()
	c, err := otp.Code(e.sec, params, otp.Step(e.now, 30)+int64(offset))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// recovery gives name one recovery code and returns it, formatted.
func (e *env) recovery(t *testing.T, name string) string {
	t.Helper()
	list, err := codes.Generate(bytes.NewReader(bytes.Repeat([]byte{0x5a, 0xc3}, 64)), 1)
	if err != nil {
		t.Fatal(err)
	}
	normal, _ := codes.Normalize(list[0])
	e.st.codes[name] = append(e.st.codes[name], codes.NewHasher(key32).Digest(name, normal))
	return list[0]
}

func (e *env) do(t *testing.T, mode Mode, user, password string) Decision {
	t.Helper()
	d, err := e.a.Authenticate(t.Context(), Request{Client: "vpn", Mode: mode, Username: user, Password: password})
	if err != nil {
		t.Fatalf("Authenticate: %v", err)
	}
	return d
}
