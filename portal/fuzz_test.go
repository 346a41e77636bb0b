package portal

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"time"
)

// FuzzSignInForm posts arbitrary sign-in fields: never a crash, never a
// session, never the name unescaped in the form that shows it again.
func FuzzSignInForm(f *testing.F) {
	f.Add("alice", "x", "")
	f.Add("<script>", "\x00", "\xff\xfe")
	f.Add(strings.Repeat("a", 300), "", "123456")
	e := newEnv(f)
	f.Fuzz(func(t *testing.T, user, password, code string) {
		e.t = t
		e.clock.add(6 * time.Second) // past the rate limit
		b := e.browser()
		p := b.post("/signin", url.Values{"csrf": {b.csrf("/signin")}, "user": {user}, "password": {password}, "code": {code}})
		if p.status == http.StatusSeeOther {
			t.Fatalf("signed in as %q", user)
		}
		if strings.ContainsAny(user, `<>"'&`) && strings.Contains(p.body, `value="`+user+`"`) {
			t.Fatalf("name shown unescaped: %q", user)
		}
	})
}

// FuzzClientAddr: any X-Forwarded-For gives a valid address, and only a
// trusted peer's header is believed.
func FuzzClientAddr(f *testing.F) {
	f.Add("10.0.0.1:443", "203.0.113.9, 10.0.0.1")
	f.Add("192.0.2.1:1", "::ffff:1.2.3.4,,")
	p := &Portal{opts: Options{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}}}
	f.Fuzz(func(t *testing.T, remote, xff string) {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.RemoteAddr = remote
		r.Header.Set("X-Forwarded-For", xff)
		a := p.clientAddr(r)
		if !a.IsValid() {
			t.Fatalf("invalid address from %q %q", remote, xff)
		}
		if peer, err := netip.ParseAddrPort(remote); err == nil && !p.trusted(peer.Addr().Unmap()) && a != peer.Addr().Unmap() {
			t.Fatalf("untrusted peer %s, got %s", remote, a)
		}
	})
}
