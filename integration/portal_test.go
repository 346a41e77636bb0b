//go:build integration

package integration

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"html"
	"image/png"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/pquerna/otp"

	"radiusd/internal/testcert"
)

// TestBrowserHarness checks the browser helpers against a small HTTPS page
// of the test's own: Chromium trusts that server's certificate and no
// other, reads a form, follows a POST-redirect-GET, decodes a QR code from
// an element screenshot, downloads a data: link and takes screenshots.
func TestBrowserHarness(t *testing.T) {
	t.Parallel()
	requireTool(t, "zbarimg")
	const uri = "otpauth://totp/Harness:alice?secret=JBSWY3DPEHPK3PXP&issuer=Harness"
	const file = "one-two\nthree-four\n"
	srv := httptest.NewTLSServer(harnessPage(t, uri, file))
	t.Cleanup(srv.Close)
	b := newBrowser(t, srv.URL, srv.Certificate())
	art := artifactsDir(t)

	if resp := b.open("/"); resp.Status != http.StatusOK {
		t.Fatalf("GET /: status %d", resp.Status)
	}
	if got := b.qr("img#qr"); got != uri {
		t.Errorf("QR code from the screenshot = %q, want %q", got, uri)
	}
	if name, data := b.download("a#download"); name != "recovery-codes.txt" || string(data) != file {
		t.Errorf("download = %q %q, want recovery-codes.txt %q", name, data, file)
	}
	b.phone(func() { b.screenshot(art, "harness-phone.png") })
	resp := b.submit("f", map[string]string{"q": "Ada & Bob!"})
	if resp.Status != http.StatusOK || b.path() != "/result?q=Ada+%26+Bob%21" || b.text("#out") != "Ada & Bob!" {
		t.Errorf("after submit: status %d at %s, #out %q", resp.Status, b.path(), b.text("#out"))
	}
	if n := b.count("#missing"); n != 0 {
		t.Errorf("count(#missing) = %d", n)
	}
	b.screenshot(art, "harness-result.png")
	b.checkPages("/favicon.ico") // the harness page has none

	other := untrustedServer(t)
	if _, err := b.tryOpen(other.URL + "/"); err == nil || !strings.Contains(err.Error(), "CERT") {
		t.Errorf("a server with an untrusted certificate: error %v, want a certificate error", err)
	}
}

// harnessPage serves the harness page: a form, a QR code of uri and a
// download link with file.
func harnessPage(t *testing.T, uri, file string) http.Handler {
	key, err := otp.NewKeyFromURL(uri)
	if err != nil {
		t.Fatal(err)
	}
	img, err := key.Image(200, 200)
	if err != nil {
		t.Fatal(err)
	}
	var qr bytes.Buffer
	if err := png.Encode(&qr, img); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `<!doctype html><title>harness</title>
<form id="f" method="post" action="/submit"><input name="q"><button>Go</button></form>
<img id="qr" src="/qr.png" width="200" height="200" alt="QR">
<a id="download" download="recovery-codes.txt" href="data:text/plain;charset=utf-8,%s">download</a>`,
			html.EscapeString(url.PathEscape(file)))
	})
	mux.HandleFunc("GET /qr.png", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/png")
		w.Write(qr.Bytes())
	})
	mux.HandleFunc("POST /submit", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/result?q="+url.QueryEscape(r.PostFormValue("q")), http.StatusSeeOther)
	})
	mux.HandleFunc("GET /result", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `<!doctype html><title>result</title><p id="out">%s</p>`, html.EscapeString(r.URL.Query().Get("q")))
	})
	return mux
}

// untrustedServer starts an HTTPS server with a certificate of a testcert
// CA that the browser was not told about.
func untrustedServer(t *testing.T) *httptest.Server {
	t.Helper()
	files, err := testcert.Write(t.TempDir(), "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	pair, err := tls.LoadX509KeyPair(files.Cert, files.Key)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "<!doctype html><p>should not load</p>")
	}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{pair}}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv
}

// Screenshots of TestPortal, in the artifacts directory.
const (
	shotSignin       = "portal-01-signin.png"
	shotSigninFailed = "portal-02-signin-failed.png"
	shotAccountNone  = "portal-03-account-none.png"
	shotForbidden    = "portal-04-admin-forbidden.png"
	shotEnroll       = "portal-05-enroll.png"
	shotEnrollPhone  = "portal-06-enroll-phone.png"
	shotCodes        = "portal-07-recovery-codes.png"
	shotAccount      = "portal-08-account-active.png"
	shotAdminUsers   = "portal-09-admin-users.png"
	shotAdminDetail  = "portal-10-admin-detail.png"
	shotAdminReset   = "portal-11-admin-reset.png"
	shotAudit        = "portal-12-admin-audit.png"
	shotSignedOut    = "portal-13-session-ended.png"
)

// portalSite is a radiusd with its portal, and the browser's way in.
type portalSite struct {
	*server
	base string            // https://127.0.0.1:port
	cert *x509.Certificate // the portal's certificate, for the browser
	art  string            // the artifacts directory
}

// startPortal starts radiusd with the users file of cs (enforce: all,
// password+otp) and its portal on a free loopback port with a testcert
// certificate; admins are the members of radius-admins.
func startPortal(t *testing.T, cs ...contact) *portalSite {
	t.Helper()
	pki, err := testcert.Write(t.TempDir(), "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	addr := freeTCPAddr(t)
	// Sign-in failures count in the RADIUS lockout: leave room for the
	// failures the test makes on purpose. The rate limit leaves room for
	// its sign-ins.
	o := options{maxFailures: 10, extra: fmt.Sprintf(`portal:
  listen: %q
  tls_cert_file: %q
  tls_key_file: %q
  admin_groups: [radius-admins]
  signin_per_minute: 20
`, addr, pki.Cert, pki.Key)}
	s := startContacts(t, o, cs...)
	waitTCP(t, addr)
	return &portalSite{server: s, base: "https://" + addr, cert: readCert(t, pki.Cert), art: artifactsDir(t)}
}

// shot saves a screenshot of b's page under name, unless name is "".
func (p *portalSite) shot(b *browser, name string) {
	if name != "" {
		b.screenshot(p.art, name)
	}
}

// TestPortal drives the portal in headless Chromium as its users do:
// alice signs in with her password, enrolls (the QR code in the page, read
// back by zbarimg, is the otpauth link and the key), gets her recovery
// codes (page and download agree) and then uses her code and a recovery
// code over RADIUS; bad sign-ins fail alike and open no session; bob, an
// admin with his own code, finds alice and resets her, which ends her
// session, sends her RADIUS logins back to enrollment and is in the audit
// trail. Every page is saved as a screenshot.
func TestPortal(t *testing.T) {
	t.Parallel()
	requireTool(t, "chromium", "zbarimg", "oathtool", "radclient")
	alice, bob := newUser("alice"), newUser("bob")
	p := startPortal(t, contact{user: alice}, contact{user: bob, groups: []string{"radius-admins"}})
	bobAcc := p.enroll(bob)
	ab := newBrowser(t, p.base, p.cert)   // alice's browser
	eve, bb := ab.session(), ab.session() // a stranger's and bob's
	var acc *account                      // alice, once enrolled
	for _, stage := range []struct {
		name string
		run  func(t *testing.T)
	}{
		{"sign-in page", func(t *testing.T) { p.signinPage(t, ab.with(t)) }},
		{"bad sign-ins fail alike", func(t *testing.T) { p.badPasswords(t, eve.with(t), alice) }},
		{"alice signs in", func(t *testing.T) { p.signInFresh(t, ab.with(t), alice, shotAccountNone) }},
		{"alice is no admin", func(t *testing.T) { p.forbidden(t, ab.with(t)) }},
		{"enroll needs a session", func(t *testing.T) { p.enrollNeedsSession(t, eve.with(t)) }},
		{"alice enrolls", func(t *testing.T) { acc = p.enrollInBrowser(t, ab.with(t), alice, true) }},
		{"account page", func(t *testing.T) { p.accountActive(t, ab.with(t)) }},
		{"radius", func(t *testing.T) { p.radiusAfterEnroll(t, acc) }},
		{"bad codes fail alike", func(t *testing.T) { p.badCodes(t, eve.with(t), acc) }},
		{"bob resets alice", func(t *testing.T) { p.adminReset(t, bb.with(t), bobAcc, "alice") }},
		{"reset ends alice's session", func(t *testing.T) { p.expectSignedOut(t, ab.with(t), shotSignedOut) }},
		{"radius after reset", func(t *testing.T) { p.radiusAfterReset(t, acc) }},
		{"audit", func(t *testing.T) { p.audit(t, bb.with(t), "bob", "alice") }},
		{"alice enrolls again", func(t *testing.T) { p.enrollAgain(t, ab.with(t), alice) }},
		{"bob signs out", func(t *testing.T) { p.signOut(t, bb.with(t)) }},
	} {
		if !t.Run(stage.name, stage.run) {
			t.FailNow() // each stage builds on the ones before
		}
	}
	for _, b := range []*browser{ab, eve, bb} {
		b.with(t).checkPages()
	}
}

// badPasswords checks sign-ins with a wrong password and an unknown user.
func (p *portalSite) badPasswords(t *testing.T, b *browser, u user) {
	p.badSignin(t, b, u.name, "x"+u.password, "", shotSigninFailed)
	p.badSignin(t, b, "nobody", u.password, "", "")
}

// radiusAfterReset checks that a reset user's RADIUS login, with a code of
// the old key, is sent to enrollment.
func (p *portalSite) radiusAfterReset(t *testing.T, a *account) {
	expect(t, p.with(t).auth(pap(a.name, a.password+a.code(t, 1))...), reject, msgEnroll)
}

// enrollAgain signs the reset user in with the password alone, enrolls
// again and logs in over RADIUS with the new key.
func (p *portalSite) enrollAgain(t *testing.T, b *browser, u user) {
	p.signInFresh(t, b, u, "")
	a := p.enrollInBrowser(t, b, u, false)
	expect(t, p.with(t).auth(pap(u.name, u.password+a.code(t, 0))...), accept, "")
}

// signOut signs b out with the sign-out form.
func (p *portalSite) signOut(t *testing.T, b *browser) {
	resp := b.submit("signout", nil)
	if path := b.path(); !strings.HasPrefix(path, "/signin") {
		t.Errorf("after sign-out: status %d at %s, want /signin", resp.Status, path)
	}
	p.expectSignedOut(t, b, "")
}

// signIn submits the sign-in form from a fresh /signin page.
func (p *portalSite) signIn(b *browser, name, password, code string) *network.Response {
	b.t.Helper()
	b.open("/signin")
	return b.submit("signin", map[string]string{"user": name, "password": password, "code": code})
}

// signinPage checks that / sends a visitor to the sign-in form, served
// with a Content-Security-Policy.
func (p *portalSite) signinPage(t *testing.T, b *browser) {
	resp := b.open("/")
	if resp.Status != http.StatusOK || b.path() != "/signin" {
		t.Errorf("GET / ends at %s with status %d, want /signin and 200", b.path(), resp.Status)
	}
	if csp := header(resp, "Content-Security-Policy"); !strings.Contains(csp, "default-src") {
		t.Errorf("Content-Security-Policy of /signin = %q, want a policy with default-src", csp)
	}
	b.expectCounts(t, "the sign-in page", map[string]int{"form#signin input[name=user]": 1,
		"form#signin input[name=password][type=password]": 1, "form#signin input[name=code]": 1,
		"form#signin input[type=hidden][name=csrf]": 1, "form#signin button#signin-submit": 1})
	p.shot(b, shotSignin)
	b.checkPages()
}

// badSignin checks that a sign-in with these credentials fails with the
// one message, repeats neither secret in the page and opens no session.
func (p *portalSite) badSignin(t *testing.T, b *browser, name, password, code, shot string) {
	p.signIn(b, name, password, code)
	if got := b.text("p.error"); !strings.Contains(got, "Sign-in failed") {
		t.Errorf("p.error = %q, want Sign-in failed", got)
	}
	if path := b.path(); !strings.HasPrefix(path, "/signin") {
		t.Errorf("a failed sign-in ends at %s, want /signin", path)
	}
	page := b.html()
	for _, secret := range []string{password, code} {
		if secret != "" && strings.Contains(page, secret) {
			t.Error("the page after a failed sign-in repeats the password or the code")
		}
	}
	p.shot(b, shot)
	p.expectSignedOut(t, b, "")
	b.checkPages("/signin: Failed to load resource: the server responded with a status of 401")
}

// badCodes checks that an enrolled user's sign-in fails alike with a
// wrong code, with no code, and with a wrong password and a good recovery
// code. As over RADIUS (PRODUCT.md §7, §8), a wrong code counts in the
// lockout, and the second factor is checked, and used up, before the
// password: the recovery code is spent and the wrong password counted.
func (p *portalSite) badCodes(t *testing.T, b *browser, a *account) {
	s := p.with(t)
	before := s.show(a.name)
	p.badSignin(t, b, a.name, a.password, a.key.wrongCodes(t, currentStep(), 1)[0], "")
	if got := s.show(a.name); got.Failures != before.Failures+1 || got.RecoveryCodesLeft != before.RecoveryCodesLeft {
		t.Errorf("a wrong code: failures %d → %d, codes left %d → %d; want +1 and no change",
			before.Failures, got.Failures, before.RecoveryCodesLeft, got.RecoveryCodesLeft)
	}
	p.badSignin(t, b, a.name, a.password, "", "")
	before = s.show(a.name)
	p.badSignin(t, b, a.name, "x"+a.password, a.recovery[1], "")
	if got := s.show(a.name); got.Failures == 0 || got.RecoveryCodesLeft != before.RecoveryCodesLeft-1 {
		t.Errorf("a wrong password with a recovery code: failures %d → %d, codes left %d → %d; want a failure counted and the code spent",
			before.Failures, got.Failures, before.RecoveryCodesLeft, got.RecoveryCodesLeft)
	}
}

// expectSignedOut checks that /account sends b to the sign-in page, and
// saves that page as shot.
func (p *portalSite) expectSignedOut(t *testing.T, b *browser, shot string) {
	b.open("/account")
	if path := b.path(); !strings.HasPrefix(path, "/signin") || b.count("form#signout") != 0 {
		t.Errorf("GET /account ends at %s (sign-out forms: %d), want /signin: a session is open", path, b.count("form#signout"))
	}
	p.shot(b, shot)
}

// signInFresh signs u in with the password alone (u is not enrolled) and
// checks the account page: state none, an enroll button, no admin link,
// and cookies that are Secure, HttpOnly and SameSite=Strict.
func (p *portalSite) signInFresh(t *testing.T, b *browser, u user, shot string) {
	p.signIn(b, u.name, u.password, "")
	if path := b.path(); path != "/account" {
		t.Fatalf("sign-in of %s ends at %s (error %q), want /account", u.name, path, errorText(b))
	}
	if state := b.text("#state"); state != "none" {
		t.Errorf("#state = %q, want none", state)
	}
	b.expectCounts(t, "the account page", map[string]int{"form#enroll-start": 1, "form#signout": 1, "a#admin": 0, "form#new-codes": 0})
	for _, c := range b.cookies() {
		if !c.Secure || !c.HTTPOnly || c.SameSite != network.CookieSameSiteStrict {
			t.Errorf("cookie %s: Secure %t, HttpOnly %t, SameSite %q; want Secure, HttpOnly, Strict", c.Name, c.Secure, c.HTTPOnly, c.SameSite)
		}
	}
	p.shot(b, shot)
	b.checkPages()
}

// errorText returns the text of p.error on b's page, or "" without one.
func errorText(b *browser) string {
	if b.count("p.error") == 0 {
		return ""
	}
	return b.text("p.error")
}

// forbidden checks that a signed-in user outside admin_groups gets 403 on
// every admin page.
func (p *portalSite) forbidden(t *testing.T, b *browser) {
	for _, path := range []string{"/admin/users", "/admin/users/bob", "/admin/audit"} {
		if resp := b.open(path); resp.Status != http.StatusForbidden {
			t.Errorf("GET %s as a user: status %d at %s, want 403", path, resp.Status, b.path())
		}
		if path == "/admin/users" {
			p.shot(b, shotForbidden)
		}
	}
	b.checkPages("the server responded with a status of 403")
}

// enrollNeedsSession checks that /enroll sends a visitor to sign in first.
func (p *portalSite) enrollNeedsSession(t *testing.T, b *browser) {
	b.open("/enroll")
	u, err := url.Parse(b.path())
	if err != nil || u.Path != "/signin" || u.Query().Get("next") != "/enroll" {
		t.Errorf("GET /enroll without a session ends at %s, want /signin?next=/enroll", b.path())
	}
}

// enrollInBrowser enrolls the signed-in u from the account page: it reads
// the key from the enroll page, confirms it with an oathtool code and reads
// the recovery codes; with shots, it saves the enroll page (also at phone
// width) and the codes page.
func (p *portalSite) enrollInBrowser(t *testing.T, b *browser, u user, shots bool) *account {
	b.open("/account")
	resp := b.submit("enroll-start", nil)
	if path := b.path(); path != "/enroll" {
		t.Fatalf("enroll-start ends at %s, want /enroll", path)
	}
	if cc := header(resp, "Cache-Control"); !strings.Contains(cc, "no-store") {
		t.Errorf("Cache-Control of /enroll = %q, want no-store", cc)
	}
	a := &account{user: u, key: p.readEnrollPage(t, b)}
	if shots {
		p.shot(b, shotEnroll)
		b.phone(func() {
			p.shot(b, shotEnrollPhone)
			if w := run(b, "page width", chromedp.Evaluate[int](`document.documentElement.scrollWidth`)); w > phoneWidth {
				t.Errorf("the enroll page is %dpx wide on a %dpx phone", w, phoneWidth)
			}
		})
	}
	resp = p.confirmInBrowser(t, b, a)
	a.recovery = p.readCodesPage(t, b, resp)
	if shots {
		p.shot(b, shotCodes)
	}
	b.checkPages()
	return a
}

// groupsOfFour is the shape of #secret: base32 in groups of four.
var groupsOfFour = regexp.MustCompile(`^([A-Z2-7]{4} )*[A-Z2-7]{1,4}$`)

// readEnrollPage checks that the QR code in the page (read from a
// screenshot), the otpauth link, the key in groups of four, the issuer and
// the account name agree, and returns the key.
func (p *portalSite) readEnrollPage(t *testing.T, b *browser) totpKey {
	href := b.attr("a#otpauth", "href")
	key, err := otp.NewKeyFromURL(href)
	if err != nil {
		t.Fatalf("a#otpauth href: %v", err)
	}
	sensitive.remember("TOTP secret", key.Secret())
	if src := b.attr("img#qr", "src"); src != "/enroll/qr.png" {
		t.Errorf("img#qr src = %q, want /enroll/qr.png", src)
	}
	if got := b.qr("img#qr"); got != href {
		t.Errorf("the QR code in the page holds %q, want the a#otpauth href %q", got, href)
	}
	spaced := b.text("#secret")
	if !groupsOfFour.MatchString(spaced) || strings.ReplaceAll(spaced, " ", "") != key.Secret() {
		t.Error("#secret is not the otpauth secret in groups of four")
	}
	if issuer := b.text("#issuer"); issuer != key.Issuer() {
		t.Errorf("#issuer = %q, want the otpauth issuer %q", issuer, key.Issuer())
	}
	if name := b.text("#account"); !strings.Contains(name, key.AccountName()) {
		t.Errorf("#account = %q, want the otpauth account %q", name, key.AccountName())
	}
	crossCheckURI(t, enrollJSON{URI: href, Secret: key.Secret()})
	return totpKey{secret: key.Secret(), algorithm: key.Algorithm().String(), digits: key.Digits().Length()}
}

// confirmInBrowser submits the code of the previous step and sets a.base,
// like server.confirm; a step boundary passed in between is retried.
func (p *portalSite) confirmInBrowser(t *testing.T, b *browser, a *account) *network.Response {
	for attempt := 0; attempt < 3; attempt++ {
		a.base = currentStep()
		resp := b.submit("confirm", map[string]string{"code": a.key.code(t, a.base-1)})
		if b.count("ul#recovery-codes") == 1 {
			return resp
		}
		if currentStep() == a.base {
			t.Fatalf("the portal refused the confirmation code (at %s, error %q)", b.path(), errorText(b))
		}
	}
	t.Fatal("confirm: the TOTP step kept changing")
	return nil
}

// recoveryCodeInText finds recovery codes in a text.
var recoveryCodeInText = regexp.MustCompile(strings.Trim(recoveryCodeRE.String(), "^$"))

// readCodesPage checks the recovery-code page: not cached, eight codes, the
// download, copy and print buttons; the downloaded file holds the same
// codes in the same order. It returns the codes.
func (p *portalSite) readCodesPage(t *testing.T, b *browser, resp *network.Response) []string {
	if cc := header(resp, "Cache-Control"); !strings.Contains(cc, "no-store") {
		t.Errorf("Cache-Control of the recovery-code page = %q, want no-store", cc)
	}
	codes := b.texts("ul#recovery-codes li")
	sensitive.remember("recovery code", codes...)
	checkRecoveryCodes(t, codes)
	b.expectCounts(t, "the recovery-code page", map[string]int{"button#copy": 1, "button#print": 1})
	if href := b.attr("a#download", "href"); !strings.HasPrefix(href, "data:") {
		t.Errorf("a#download href starts %.20q, want a data: URL", href)
	}
	name, data := b.download("a#download")
	if name != "recovery-codes.txt" {
		t.Errorf("the download is named %q, want recovery-codes.txt", name)
	}
	if got := recoveryCodeInText.FindAllString(string(data), -1); !slices.Equal(got, codes) {
		t.Errorf("the downloaded file holds %d codes that differ from the %d on the page", len(got), len(codes))
	}
	return codes
}

// accountActive checks alice's account page once she is enrolled.
func (p *portalSite) accountActive(t *testing.T, b *browser) {
	b.open("/account")
	if state := b.text("#state"); state != "active" {
		t.Errorf("#state = %q, want active", state)
	}
	if left := b.text("#codes-left"); !strings.Contains(left, "8") {
		t.Errorf("#codes-left = %q, want 8", left)
	}
	if at := b.text("#enrolled-at"); at == "" {
		t.Error("#enrolled-at is empty")
	}
	b.expectCounts(t, "the account page", map[string]int{"form#new-codes input[name=code]": 1, "form#enroll-start": 0, "a#admin": 0})
	p.shot(b, shotAccount)
}

// radiusAfterEnroll logs in over RADIUS with the new code, with a recovery
// code, and with that recovery code again.
func (p *portalSite) radiusAfterEnroll(t *testing.T, a *account) {
	s := p.with(t)
	expect(t, s.auth(pap(a.name, a.password+a.code(t, 0))...), accept, "")
	expect(t, s.auth(pap(a.name, a.password+a.recovery[0])...), accept, "")
	expect(t, s.auth(pap(a.name, a.password+a.recovery[0])...), reject, msgFailed)
}

// adminReset signs the admin in with a code, finds target by a search,
// opens its detail page and resets it.
func (p *portalSite) adminReset(t *testing.T, b *browser, admin *account, target string) {
	p.signIn(b, admin.name, admin.password, admin.key.code(t, currentStep()))
	if path := b.path(); path != "/account" {
		t.Fatalf("sign-in of %s ends at %s (error %q), want /account", admin.name, path, errorText(b))
	}
	if resp := b.click("a#admin"); resp.Status != http.StatusOK || b.path() != "/admin/users" {
		t.Fatalf("a#admin: status %d at %s, want /admin/users", resp.Status, b.path())
	}
	b.submit("search", map[string]string{"q": target})
	row := fmt.Sprintf("table#users tr[data-user=%q]", target)
	if n, all := b.count(row), b.count("table#users tr[data-user]"); n != 1 || all != 1 {
		t.Errorf("searching %q lists %d users, %d of them %s; want only %s", target, all, n, target, target)
	}
	if cells := b.texts(row + " td"); !slices.Contains(cells, "active") {
		t.Errorf("the row of %s = %q, want state active", target, cells)
	}
	p.shot(b, shotAdminUsers)
	p.openDetail(t, b, row, target)
	p.shot(b, shotAdminDetail)
	if resp := b.submit("reset", nil); resp.Status != http.StatusOK {
		t.Errorf("reset: status %d at %s", resp.Status, b.path())
	}
	p.shot(b, shotAdminReset)
	if state := p.with(t).show(target).State; state != "none" {
		t.Errorf("after the reset, user show %s says %s, want none", target, state)
	}
	b.checkPages()
}

// openDetail follows the link in the user's row to the detail page and
// checks its forms.
func (p *portalSite) openDetail(t *testing.T, b *browser, row, name string) {
	if b.count(row+" a") == 0 {
		t.Errorf("the row of %s has no link to its detail page", name)
		b.open("/admin/users/" + name)
	} else {
		b.click(row + " a")
	}
	if path := b.path(); path != "/admin/users/"+name {
		t.Fatalf("the detail page of %s is at %s, want /admin/users/%s", name, path, name)
	}
	b.expectCounts(t, "the detail page", map[string]int{"form#reset input[type=hidden][name=csrf]": 1,
		"form#unlock": 1, "form#admin-codes": 1, "form#policy select[name=policy] option[value=default]": 1,
		"form#policy select[name=policy] option[value=required]": 1, "form#policy select[name=policy] option[value=exempt]": 1})
	if action := b.attr("form#reset", "action"); action != "/admin/users/"+name+"/reset" {
		t.Errorf("form#reset action = %q, want /admin/users/%s/reset", action, name)
	}
}

// auditJSON is one entry of "radiusd audit --json".
type auditJSON struct {
	Time   string `json:"time"`
	Actor  string `json:"actor"`
	Action string `json:"action"`
	Target string `json:"target"`
	Detail any    `json:"detail"`
	Remote string `json:"remote"`
}

// audit checks that the CLI (all entries, and --user target) and the audit
// page list the admin's reset of target, from 127.0.0.1.
func (p *portalSite) audit(t *testing.T, b *browser, admin, target string) {
	isReset := func(e auditJSON) bool {
		return e.Actor == admin && e.Target == target && strings.Contains(e.Action, "reset")
	}
	for _, args := range [][]string{{"--json"}, {"--json", "--user", target}} {
		res := p.with(t).cli("audit", args...)
		if res.code != 0 {
			t.Errorf("radiusd audit %v: exit %d: %s", args, res.code, res.stderr)
			continue
		}
		var entries []auditJSON
		decodeJSON(t, res.stdout, &entries)
		i := slices.IndexFunc(entries, isReset)
		if i < 0 {
			t.Errorf("radiusd audit %v lists no reset of %s by %s: %+v", args, target, admin, entries)
		} else if e := entries[i]; e.Remote != "127.0.0.1" || e.Time == "" {
			t.Errorf("the audit entry of the reset has remote %q and time %q, want 127.0.0.1 and a time", e.Remote, e.Time)
		}
	}
	b.open("/admin/audit")
	rows := b.texts("table#audit tr")
	if !slices.ContainsFunc(rows, func(r string) bool {
		return strings.Contains(r, admin) && strings.Contains(r, target) && strings.Contains(r, "reset")
	}) {
		t.Errorf("the audit page lists no reset of %s by %s: %q", target, admin, rows)
	}
	p.shot(b, shotAudit)
	b.checkPages()
}

// TestPortalCertificateReload: SIGHUP serves a renewed certificate without
// a restart; a broken one is refused and the running one kept.
func TestPortalCertificateReload(t *testing.T) {
	t.Parallel()
	p := startPortal(t, contact{user: newUser("alice")})
	served := func() string {
		conn, err := tls.Dial("tcp", strings.TrimPrefix(p.base, "https://"), &tls.Config{InsecureSkipVerify: true}) // reads the certificate only
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		return string(conn.ConnectionState().PeerCertificates[0].Raw)
	}
	first := served()
	if first != string(p.cert.Raw) {
		t.Fatal("the portal does not serve its configured certificate")
	}
	renewed, err := testcert.Write(t.TempDir(), "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile := configuredPortalFiles(t, p)
	copyFile(t, renewed.Cert, certFile)
	copyFile(t, renewed.Key, keyFile)
	p.hangup("configuration reloaded")
	if got := served(); got == first || got != string(readCert(t, renewed.Cert).Raw) {
		t.Fatal("SIGHUP did not load the renewed certificate")
	}
	if err := os.WriteFile(certFile, []byte("not a certificate\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	p.hangup("reload portal certificate refused; keeping the running one")
	if got := served(); got != string(readCert(t, renewed.Cert).Raw) {
		t.Fatal("a broken certificate replaced the running one")
	}
}

// configuredPortalFiles returns the certificate and key paths of p's
// config.
func configuredPortalFiles(t *testing.T, p *portalSite) (cert, key string) {
	t.Helper()
	cfg, err := os.ReadFile(p.config)
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`tls_cert_file: "([^"]+)"\n  tls_key_file: "([^"]+)"`).FindStringSubmatch(string(cfg))
	if m == nil {
		t.Fatalf("no portal certificate in the config:\n%s", cfg)
	}
	return m[1], m[2]
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestPortalLoopbackKeyboard: the portal of the example config, plain HTTP
// on a loopback address, works in a real browser (its __Host- Secure
// cookies are kept for http://127.0.0.1, a secure context), and signing in
// and starting an enrollment need nothing but the keyboard.
func TestPortalLoopbackKeyboard(t *testing.T) {
	t.Parallel()
	alice := newUser("alice")
	addr := freeTCPAddr(t)
	s := startContacts(t, options{extra: fmt.Sprintf("portal:\n  listen: %q\n", addr)}, contact{user: alice})
	waitTCP(t, addr)
	b := newBrowser(t, "http://"+addr, nil)
	b.open("/signin")                                   // the name field has the focus
	keys := alice.name + "\t" + alice.password + "\t\r" // name, Tab, password, Tab to the code, Enter
	ctx, cancel := context.WithTimeout(b.ctx, stepLimit)
	defer cancel()
	if _, err := chromedp.RunResponse(ctx, chromedp.KeyEvent(keys)); err != nil {
		t.Fatalf("sign in with the keyboard: %v", err)
	}
	if path := b.path(); path != "/account" {
		t.Fatalf("after signing in with the keyboard: at %s (error %q), want /account", path, errorText(b))
	}
	// Tab from the top of the page to the enroll button, then Enter.
	run(b, "focus the page", chromedp.Focus(chromedp.CSS("a.site")))
	for range 10 {
		if b.focused() == "enroll-start-button" {
			break
		}
		run(b, "Tab", chromedp.KeyEvent("\t"))
	}
	if b.focused() != "enroll-start-button" {
		t.Fatal("Tab never reached the enroll button")
	}
	ctx2, cancel2 := context.WithTimeout(b.ctx, stepLimit)
	defer cancel2()
	if _, err := chromedp.RunResponse(ctx2, chromedp.KeyEvent("\r")); err != nil {
		t.Fatalf("enroll with the keyboard: %v", err)
	}
	if path := b.path(); path != "/enroll" {
		t.Fatalf("after Enter on the enroll button: at %s, want /enroll", path)
	}
	if state := s.with(t).show(alice.name).State; state != "pending" {
		t.Fatalf("after starting enrollment: state %s, want pending", state)
	}
	b.checkPages()
}

// focused returns the id of the element with the keyboard focus.
func (b *browser) focused() string {
	b.t.Helper()
	return run(b, "focused element", chromedp.Evaluate[string](`document.activeElement ? document.activeElement.id : ""`))
}
