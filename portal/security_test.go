package portal

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestSessionExpiry(t *testing.T) {
	e := newEnv(t)
	idle := e.browser()
	idle.signIn("alice", pw, "")
	e.clock.add(14 * time.Minute)
	if p := idle.get("/account"); p.status != http.StatusOK {
		t.Fatalf("before the idle limit: %d", p.status)
	}
	e.clock.add(15 * time.Minute)
	if p := idle.get("/account"); p.status != http.StatusSeeOther || p.header.Get("Location") != "/signin" {
		t.Fatalf("after 15 idle minutes: %d %s", p.status, p.header.Get("Location"))
	}
	busy := e.browser()
	busy.signIn("alice", pw, "")
	for range 8 * 6 { // a request every 10 minutes for 8 hours
		e.clock.add(10 * time.Minute)
		busy.get("/account")
	}
	if p := busy.get("/account"); p.status != http.StatusSeeOther {
		t.Fatalf("after 8 hours of use: %d", p.status)
	}
}

func TestExpiredSessionPost(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	b.signIn("alice", pw, "")
	csrf := b.csrf("/account")
	e.clock.add(time.Hour)
	p := b.post("/enroll", url.Values{"csrf": {csrf}})
	if p.status != http.StatusForbidden {
		t.Fatalf("POST with an expired session: %d", p.status)
	}
	p.mustContain(t, "Your session has ended")
}

func TestSignInCSRF(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	// No token cookie: a form posted from elsewhere, or an old page.
	p := b.post("/signin", url.Values{"csrf": {"made-up"}, "user": {"alice"}, "password": {pw}})
	if p.status != http.StatusForbidden {
		t.Fatalf("sign-in without the token cookie: %d", p.status)
	}
	// A cross-site form post, as a browser reports it.
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/signin", strings.NewReader(url.Values{"csrf": {b.csrf("/signin")}, "user": {"alice"}, "password": {pw}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	resp, err := b.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("cross-site sign-in: %d", resp.StatusCode)
	}
	if b.get("/account").status != http.StatusSeeOther {
		t.Fatal("a refused form made a session")
	}
}

func TestSignInRateLimited(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	for i := range 10 {
		if p := b.post("/signin", url.Values{"csrf": {b.csrf("/signin")}, "user": {"mallory"}, "password": {"x"}}); p.status != http.StatusUnauthorized {
			t.Fatalf("attempt %d: %d", i+1, p.status)
		}
	}
	if p := b.post("/signin", url.Values{"csrf": {b.csrf("/signin")}, "user": {"alice"}, "password": {pw}}); p.status != http.StatusTooManyRequests {
		t.Fatalf("11th attempt in a minute: %d", p.status)
	}
	e.clock.add(6 * time.Second) // one attempt refills every 6 s at 10/min
	b.signIn("alice", pw, "")
}

// TestSignInLockoutShared: wrong passwords on the portal lock the user,
// for the portal and RADIUS alike (the store's lockout).
func TestSignInLockoutShared(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	for range 5 {
		b.post("/signin", url.Values{"csrf": {b.csrf("/signin")}, "user": {"alice"}, "password": {"wrong"}})
		e.clock.add(10 * time.Second)
	}
	if e.user("alice").LockedUntil.IsZero() {
		t.Fatal("five wrong passwords did not lock")
	}
	p := b.post("/signin", url.Values{"csrf": {b.csrf("/signin")}, "user": {"alice"}, "password": {pw}})
	if p.status != http.StatusUnauthorized {
		t.Fatalf("locked user: %d", p.status)
	}
	p.mustContain(t, "Account temporarily locked")
}

func TestNextIsLocal(t *testing.T) {
	tests := map[string]string{
		"/enroll": "/enroll", "/admin/users/alice": "/admin/users/alice", "https://evil.example/": "/account",
		"//evil.example": "/account", "/\\evil.example": "/account", "/admin/users/a/b": "/account", "": "/account",
	}
	for in, want := range tests {
		if got := localPath(in); got != want {
			t.Errorf("localPath(%q) = %q, want %q", in, got, want)
		}
	}
	e := newEnv(t)
	b := e.browser()
	p := b.get("/enroll")
	if p.header.Get("Location") != "/signin?next=%2Fenroll" {
		t.Fatalf("GET /enroll signed out: %s", p.header.Get("Location"))
	}
	form := url.Values{"csrf": {b.csrf("/signin?next=/enroll")}, "user": {"alice"}, "password": {pw}, "next": {"https://evil.example/"}}
	if p := b.post("/signin", form); p.header.Get("Location") != "/account" {
		t.Fatalf("next to another site: %s", p.header.Get("Location"))
	}
}

func TestStaticAndUnknown(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	for path, want := range map[string]int{"/static/portal.css": 200, "/static/portal.js": 200, "/static/": 404,
		"/static/../portal.go": 307, "/static/%2e%2e/portal.go": 404, "/nope": 404, "/": 303} { // 307: the mux cleans "..", then 404
		if p := b.get(path); p.status != want {
			t.Errorf("GET %s: %d, want %d", path, p.status, want)
		}
	}
	if p := b.get("/static/portal.css"); p.header.Get("Content-Security-Policy") == "" || !strings.Contains(p.header.Get("Content-Type"), "text/css") {
		t.Errorf("css headers: %v", p.header)
	}
}

func TestBodyLimit(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	p := b.post("/signin", url.Values{"csrf": {b.csrf("/signin")}, "user": {"alice"}, "password": {strings.Repeat("x", 64<<10)}})
	if p.status == http.StatusSeeOther || p.status == http.StatusOK {
		t.Fatalf("a 64 KiB form was accepted: %d", p.status)
	}
}

// TestStoreDown: a store failure refuses (fail closed) with 503 and no
// session.
func TestStoreDown(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	csrf := b.csrf("/signin")
	e.st.Close()
	p := b.post("/signin", url.Values{"csrf": {csrf}, "user": {"alice"}, "password": {pw}})
	if p.status != http.StatusServiceUnavailable {
		t.Fatalf("store down: %d", p.status)
	}
	if b.get("/account").status != http.StatusSeeOther {
		t.Fatal("a session was made with the store down")
	}
}

func TestClientAddr(t *testing.T) {
	p := &Portal{opts: Options{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.1/32"), netip.MustParsePrefix("::1/128")}}}
	tests := []struct{ remote, xff, want string }{
		{"192.0.2.7:5000", "", "192.0.2.7"},
		{"192.0.2.7:5000", "203.0.113.9", "192.0.2.7"}, // not a proxy: its header is ignored
		{"10.0.0.1:5000", "203.0.113.9", "203.0.113.9"},
		{"10.0.0.1:5000", "198.51.100.1, 203.0.113.9", "203.0.113.9"}, // the client may forge the left part
		{"10.0.0.1:5000", "203.0.113.9, 10.0.0.1", "203.0.113.9"},
		{"10.0.0.1:5000", "garbage", "10.0.0.1"},
		{"[::1]:5000", "2001:db8::5", "2001:db8::5"},
	}
	for _, tt := range tests {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.RemoteAddr = tt.remote
		if tt.xff != "" {
			r.Header.Set("X-Forwarded-For", tt.xff)
		}
		if got := p.clientAddr(r).String(); got != tt.want {
			t.Errorf("clientAddr(%s, %q) = %s, want %s", tt.remote, tt.xff, got, tt.want)
		}
	}
}

func TestObserver(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	b.post("/signin", url.Values{"csrf": {"nope"}, "user": {"alice"}, "password": {pw}})
	b.post("/signin", url.Values{"csrf": {b.csrf("/signin")}, "user": {"alice"}, "password": {"wrong"}})
	e.enroll("alice")
	admin := e.signInAdmin()
	admin.post("/admin/users/alice/reset", url.Values{"csrf": {admin.csrf("/admin/users")}})
	want := []string{"signin limited csrf", "signin refused bad_password", "signin ok signed_in", "admin reset"}
	if got := e.seen.list(); !slices.Equal(got, want) {
		t.Fatalf("observed %q, want %q", got, want)
	}
}
