package portal

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"radiusd/auth"
	"radiusd/directory/directorytest"
	"radiusd/otp"
	"radiusd/secret"
	"radiusd/store"
	"radiusd/store/sqlstore"
)

const (
	pw      = "Corr3ct-horse!"
	adminPw = "Adm1n-pass-word"
	issuer  = "Example VPN"
)

// clock is a settable clock shared by the portal, the decision logic and
// the accounts under test.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// env is a portal over a real SQLite store, the real decision logic and a
// fake directory, served by an httptest TLS server.
type env struct {
	t     testing.TB
	srv   *httptest.Server
	st    *sqlstore.Store
	clock *clock
	acc   *auth.Accounts
	logs  *syncBuffer
	seen  *observed
}

// observed records what the portal tells its Observer.
type observed struct {
	mu     sync.Mutex
	events []string
}

func (o *observed) SignIn(result, reason string) { o.add("signin " + result + " " + reason) }
func (o *observed) AdminAction(action string)    { o.add("admin " + action) }
func (o *observed) add(e string)                 { o.mu.Lock(); defer o.mu.Unlock(); o.events = append(o.events, e) }
func (o *observed) list() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]string(nil), o.events...)
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

func newEnv(t testing.TB) *env {
	t.Helper()
	key := secret.New(bytes.Repeat([]byte{3}, 32))
	st, err := sqlstore.Open(t.Context(), sqlstore.Options{Path: filepath.Join(t.TempDir(), "r.db"), Key: key})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e := &env{t: t, st: st, clock: &clock{t: time.Now().UTC().Truncate(time.Second)}, logs: &syncBuffer{}, seen: &observed{}}
	dir := &directorytest.Fake{Users: map[string]directorytest.FakeUser{
		"alice": {Password: pw, Groups: []string{"vpn-users"}},
		"bob":   {Password: adminPw, Groups: []string{"Radius-Admins"}},
		"carol": {Password: adminPw, Groups: []string{"radius-admins"}},
	}}
	logger := slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	names := auth.NameRules{Lowercase: true}
	a, err := auth.New(auth.Options{Names: names, Enforce: auth.EnforceAll, Skew: 1, MaxDrift: 4, MaxFailures: 5,
		LockFor: 15 * time.Minute, RecoveryKey: bytes.Repeat([]byte{1}, 32), FingerprintKey: bytes.Repeat([]byte{2}, 32),
		Now: e.clock.now}, dir, st, logger)
	if err != nil {
		t.Fatal(err)
	}
	e.acc, err = auth.NewAccounts(auth.AccountOptions{Names: names, Issuer: issuer, Params: otp.Params{Digits: 6, Period: 30, Algorithm: "SHA1"},
		Skew: 1, RecoveryCount: 8, RecoveryKey: bytes.Repeat([]byte{1}, 32), Now: e.clock.now}, st)
	if err != nil {
		t.Fatal(err)
	}
	p, err := New(Options{Issuer: issuer, AdminGroups: []string{"radius-admins"}, SessionIdle: 15 * time.Minute,
		SessionMax: 8 * time.Hour, SigninPerMinute: 10, Observer: e.seen, Now: e.clock.now}, a, e.acc, st, logger)
	if err != nil {
		t.Fatal(err)
	}
	e.srv = httptest.NewTLSServer(p.Handler())
	t.Cleanup(e.srv.Close)
	return e
}

// browser is one cookie jar talking to the portal; it does not follow
// redirects, so tests see them.
type browser struct {
	e *env
	c *http.Client
}

func (e *env) browser() *browser {
	jar, _ := cookiejar.New(nil)
	c := *e.srv.Client() // a copy: each browser has its own jar
	c.Jar = jar
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &browser{e: e, c: &c}
}

// page is one response, body read.
type page struct {
	status int
	header http.Header
	body   string
}

func (b *browser) get(path string) page {
	b.e.t.Helper()
	resp, err := b.c.Get(b.e.srv.URL + path)
	return b.read(resp, err)
}

func (b *browser) post(path string, form url.Values) page {
	b.e.t.Helper()
	resp, err := b.c.PostForm(b.e.srv.URL+path, form)
	return b.read(resp, err)
}

func (b *browser) read(resp *http.Response, err error) page {
	b.e.t.Helper()
	if err != nil {
		b.e.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		b.e.t.Fatal(err)
	}
	return page{status: resp.StatusCode, header: resp.Header, body: string(body)}
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrf returns the CSRF token of the first form on the page at path.
func (b *browser) csrf(path string) string {
	b.e.t.Helper()
	m := csrfField.FindStringSubmatch(b.get(path).body)
	if m == nil {
		b.e.t.Fatalf("no csrf field on %s", path)
	}
	return m[1]
}

// signIn signs in and fails the test unless it succeeds.
func (b *browser) signIn(user, password, code string) {
	b.e.t.Helper()
	p := b.post("/signin", url.Values{"csrf": {b.csrf("/signin")}, "user": {user}, "password": {password}, "code": {code}})
	if p.status != http.StatusSeeOther || p.header.Get("Location") != "/account" {
		b.e.t.Fatalf("sign-in of %s: %d %s %s", user, p.status, p.header.Get("Location"), p.body)
	}
}

// enroll makes user active through the CLI's Accounts and returns the
// secret; the clock moves one step on, so that the next code is fresh.
func (e *env) enroll(user string) secret.Value {
	e.t.Helper()
	en, err := e.acc.Enroll(e.t.Context(), user, false)
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.acc.Confirm(e.t.Context(), user, e.code(en.Secret)); err != nil {
		e.t.Fatal(err)
	}
	e.clock.add(30 * time.Second)
	return en.Secret
}

// code is the current TOTP code of s.
func (e *env) code(s secret.Value) string {
	e.t.Helper()
	c, err := otp.Code(s, otp.Params{Digits: 6, Period: 30, Algorithm: "SHA1"}, otp.Step(e.clock.now(), 30))
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

func (e *env) user(name string) store.User {
	e.t.Helper()
	u, err := e.st.Get(e.t.Context(), name)
	if err != nil {
		e.t.Fatal(err)
	}
	return u
}

// mustContain fails unless every want is in the page body.
func (p page) mustContain(t *testing.T, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(p.body, w) {
			t.Fatalf("page (%d) lacks %q:\n%s", p.status, w, p.body)
		}
	}
}
