package portal

import (
	"bytes"
	"encoding/base64"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"radiusd/otp"
	"radiusd/store"
)

func TestSignInPage(t *testing.T) {
	e := newEnv(t)
	p := e.browser().get("/signin")
	if p.status != http.StatusOK || p.header.Get("Content-Security-Policy") != contentSecurityPolicy {
		t.Fatalf("GET /signin: %d, CSP %q", p.status, p.header.Get("Content-Security-Policy"))
	}
	for h, want := range map[string]string{"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY",
		"Referrer-Policy": "no-referrer", "Strict-Transport-Security": "max-age=31536000", "Cross-Origin-Resource-Policy": "same-origin"} {
		if got := p.header.Get(h); got != want {
			t.Errorf("%s = %q, want %q", h, got, want)
		}
	}
	c := p.header.Get("Set-Cookie")
	for _, want := range []string{"__Host-radiusd-signin=", "Path=/", "HttpOnly", "Secure", "SameSite=Strict"} {
		if !strings.Contains(c, want) {
			t.Errorf("cookie %q lacks %s", c, want)
		}
	}
	p.mustContain(t, `id="signin"`, `name="user"`, `name="password"`, `name="code"`, `id="signin-submit"`)
}

func TestSignInRefused(t *testing.T) {
	e := newEnv(t)
	secretB := e.enroll("bob")
	tests := []struct {
		name, user, password, code string
		status                     int
	}{
		{"wrong password", "alice", "nope", "", http.StatusUnauthorized},
		{"unknown user", "mallory", pw, "", http.StatusUnauthorized},
		{"enrolled without code", "bob", adminPw, "", http.StatusUnauthorized},
		{"enrolled with wrong code", "bob", adminPw, "000000", http.StatusUnauthorized},
		{"long name", strings.Repeat("a", 300), pw, "", http.StatusUnauthorized},
		{"NUL in name", "ali\x00ce", pw, "", http.StatusUnauthorized},
		{"not UTF-8", "ali\xffce", pw, "", http.StatusUnauthorized},
		{"NUL in password", "alice", pw + "\x00", "", http.StatusUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := e.browser()
			p := b.post("/signin", url.Values{"csrf": {b.csrf("/signin")}, "user": {tt.user}, "password": {tt.password}, "code": {tt.code}})
			if p.status != tt.status || strings.Contains(p.header.Get("Set-Cookie"), "radiusd-session=") && !strings.Contains(p.header.Get("Set-Cookie"), "Max-Age=0") {
				t.Fatalf("status %d, cookies %q", p.status, p.header.Values("Set-Cookie"))
			}
			p.mustContain(t, `class="error"`, "Sign-in failed.")
			if b.get("/account").status != http.StatusSeeOther {
				t.Fatal("a refused sign-in left a session")
			}
		})
	}
	_ = secretB
	if logs := e.logs.String(); strings.Contains(logs, pw) || strings.Contains(logs, adminPw) {
		t.Fatalf("a password is in the logs:\n%s", logs)
	}
}

// TestSignInEscapesName: a name full of HTML comes back escaped in the form.
func TestSignInEscapesName(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	p := b.post("/signin", url.Values{"csrf": {b.csrf("/signin")}, "user": {`"><script>alert(1)</script>`}, "password": {"x"}})
	if strings.Contains(p.body, "<script>alert") {
		t.Fatalf("unescaped name:\n%s", p.body)
	}
	p.mustContain(t, "&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;")
}

func TestEnrollFlow(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	b.signIn("Alice", pw, "")
	b.get("/account").mustContain(t, `<dd id="state">none</dd>`, `id="enroll-start"`)
	csrf := b.csrf("/account")
	if p := b.post("/enroll", url.Values{"csrf": {"forged"}}); p.status != http.StatusForbidden {
		t.Fatalf("POST /enroll with a wrong token: %d", p.status)
	}
	if p := b.post("/enroll", url.Values{"csrf": {csrf}}); p.status != http.StatusSeeOther || p.header.Get("Location") != "/enroll" {
		t.Fatalf("POST /enroll: %d %s", p.status, p.header.Get("Location"))
	}
	p := b.get("/enroll")
	if p.header.Get("Cache-Control") != "no-store" {
		t.Errorf("enroll page Cache-Control = %q", p.header.Get("Cache-Control"))
	}
	rec := e.user("alice")
	key := otp.EncodeSecret(rec.TOTP.Secret)
	p.mustContain(t, `id="qr"`, groupsOfFour(key), "otpauth://totp/Example%20VPN:alice?secret="+key, `id="issuer">Example VPN<`, `id="account">alice<`)
	if qr := b.get("/enroll/qr.png"); !strings.HasPrefix(qr.body, "\x89PNG") || qr.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("qr.png: %q %q", qr.header.Get("Content-Type"), qr.header.Get("Cache-Control"))
	}
	if p := b.post("/enroll/confirm", url.Values{"csrf": {csrf}, "code": {"000000"}}); p.status != http.StatusUnprocessableEntity {
		t.Fatalf("wrong confirm code: %d", p.status)
	}
	p = b.post("/enroll/confirm", url.Values{"csrf": {csrf}, "code": {e.code(rec.TOTP.Secret)}})
	codes := recoveryCodes(t, p)
	if len(codes) != 8 || e.user("alice").State != store.StateActive || e.user("alice").RecoveryLeft != 8 {
		t.Fatalf("after confirm: %d codes, %+v", len(codes), e.user("alice").State)
	}
	b.get("/account").mustContain(t, `<dd id="state">active</dd>`, `<dd id="codes-left">8</dd>`, `id="new-codes"`)
	if logs := e.logs.String(); strings.Contains(logs, key) || strings.Contains(logs, codes[0]) {
		t.Fatalf("a secret is in the logs:\n%s", logs)
	}
}

var codeItem = regexp.MustCompile(`<li><code>([^<]+)</code></li>`)
var downloadLink = regexp.MustCompile(`href="data:text/plain;charset=utf-8;base64,([^"]+)" download="recovery-codes.txt"`)

// recoveryCodes checks a recovery-code page and returns its codes.
func recoveryCodes(t *testing.T, p page) []string {
	t.Helper()
	if p.status != http.StatusOK || p.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("recovery page: %d, Cache-Control %q\n%s", p.status, p.header.Get("Cache-Control"), p.body)
	}
	p.mustContain(t, `id="recovery-codes"`, `id="copy"`, `id="print"`)
	var list []string
	for _, m := range codeItem.FindAllStringSubmatch(p.body, -1) {
		list = append(list, m[1])
	}
	m := downloadLink.FindStringSubmatch(p.body)
	if m == nil {
		t.Fatal("no download link")
	}
	text, err := base64.StdEncoding.DecodeString(m[1])
	if err != nil || !bytes.HasSuffix(text, []byte(strings.Join(list, "\n")+"\n")) {
		t.Fatalf("download %q does not end with the codes %v (%v)", text, list, err)
	}
	return list
}

func TestNewCodesNeedFreshCode(t *testing.T) {
	e := newEnv(t)
	s := e.enroll("alice")
	b := e.browser()
	code := e.code(s)
	b.signIn("alice", pw, code)
	csrf := b.csrf("/account")
	if p := b.post("/codes", url.Values{"csrf": {csrf}, "code": {code}}); p.status != http.StatusUnprocessableEntity {
		t.Fatalf("new codes with the code just used to sign in: %d", p.status)
	}
	e.clock.add(30 * time.Second)
	list := recoveryCodes(t, b.post("/codes", url.Values{"csrf": {csrf}, "code": {e.code(s)}}))
	// The new set works as a sign-in code; the session stays.
	other := e.browser()
	other.signIn("alice", pw, list[3])
	if e.user("alice").RecoveryLeft != 7 {
		t.Fatalf("codes left = %d", e.user("alice").RecoveryLeft)
	}
}

func TestEnrollWhenActiveRefused(t *testing.T) {
	e := newEnv(t)
	s := e.enroll("alice")
	b := e.browser()
	b.signIn("alice", pw, e.code(s))
	if p := b.post("/enroll", url.Values{"csrf": {b.csrf("/account")}}); p.status != http.StatusConflict {
		t.Fatalf("enroll while active: %d", p.status)
	}
	if p := b.get("/enroll"); p.status != http.StatusSeeOther {
		t.Fatalf("GET /enroll while active: %d", p.status)
	}
	if p := b.get("/enroll/qr.png"); p.status != http.StatusNotFound {
		t.Fatalf("qr.png while active: %d", p.status)
	}
}

func TestSignOut(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	b.signIn("alice", pw, "")
	csrf := b.csrf("/account")
	if p := b.post("/signout", url.Values{"csrf": {csrf}}); p.status != http.StatusSeeOther || p.header.Get("Location") != "/signin" {
		t.Fatalf("sign out: %d", p.status)
	}
	if p := b.get("/account"); p.status != http.StatusSeeOther || p.header.Get("Location") != "/signin" {
		t.Fatalf("after sign-out: %d %s", p.status, p.header.Get("Location"))
	}
}
