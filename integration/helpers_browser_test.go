//go:build integration

package integration

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// Time limits of the browser tests: the whole life of one test's Chromium,
// and each step (a navigation, a query, a download) in it.
const (
	browserLimit = 3 * time.Minute
	stepLimit    = 15 * time.Second
)

// The desktop window and the phone viewport (an iPhone 12–15 in CSS pixels).
const (
	desktopWidth, desktopHeight = 1280, 900
	phoneWidth, phoneHeight     = 390, 844
)

// browser is one tab of a headless Chromium, with its own cookie jar: a
// person's browser. Tabs made by session share the process.
type browser struct {
	t    *testing.T
	ctx  context.Context // the tab; cancelled by cleanup
	base string          // the origin that paths are relative to
	log  *pageLog        // what the pages did wrong
}

// newBrowser starts headless Chromium for the pages at base (an https://
// origin, or http:// with a nil cert) and returns its first tab. Chromium
// trusts the server certificate cert by its SPKI hash and nothing beyond its usual trust
// store: no --ignore-certificate-errors. Cleanup closes the browser. The
// test skips (or fails, under RADIUSD_INTEGRATION_REQUIRED=1) without the
// chromium command.
func newBrowser(t *testing.T, base string, cert *x509.Certificate) *browser {
	t.Helper()
	requireTool(t, "chromium")
	path, _ := exec.LookPath("chromium")
	out := &syncBuffer{}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(desktopWidth, desktopHeight),
		chromedp.DisableGPU,
		chromedp.CombinedOutput(out),
	)
	if cert != nil {
		opts = append(opts, chromedp.Flag("ignore-certificate-errors-spki-list", spkiHash(cert)))
	}
	if os.Geteuid() == 0 {
		opts = append(opts, chromedp.NoSandbox) // Chromium refuses root with a sandbox
	}
	limit, cancelLimit := context.WithTimeout(context.Background(), browserLimit)
	alloc, cancelAlloc := chromedp.NewExecAllocator(limit, opts...)
	ctx, cancelTab := chromedp.NewContext(alloc)
	t.Cleanup(func() {
		cancelTab()
		cancelAlloc() // waits for the process to exit, before t.TempDir is removed
		cancelLimit()
		if t.Failed() {
			t.Logf("chromium output:\n%s", out)
		}
	})
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v\n%s", err, out)
	}
	return newTab(t, ctx, base)
}

// session opens a new tab in a new browser context of b's browser: another
// person, with no cookies. Cleanup closes it.
func (b *browser) session() *browser {
	b.t.Helper()
	ctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithNewBrowserContext())
	b.t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		b.t.Fatalf("open a new browser context: %v", err)
	}
	return newTab(b.t, ctx, b.base)
}

// newTab wraps a started tab context and records its page problems.
func newTab(t *testing.T, ctx context.Context, base string) *browser {
	t.Helper()
	b := &browser{t: t, ctx: ctx, base: strings.TrimSuffix(base, "/")}
	b.log = &pageLog{base: b.base}
	if err := chromedp.Listen(ctx, b.log.record); err != nil {
		t.Fatalf("listen to the tab: %v", err)
	}
	return b
}

// with returns a view of b whose failures are reported on t (a subtest).
func (b *browser) with(t *testing.T) *browser {
	c := *b
	c.t = t
	return &c
}

// spkiHash is the form of a certificate that Chromium's
// --ignore-certificate-errors-spki-list takes: the base64 SHA-256 of its
// SubjectPublicKeyInfo.
func spkiHash(cert *x509.Certificate) string {
	sum := sha256.Sum256(cert.RawSubjectPublicKeyInfo)
	return base64.StdEncoding.EncodeToString(sum[:])
}

// readCert parses the first certificate of the PEM file at path.
func readCert(t *testing.T, path string) *x509.Certificate {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(b)
	if block == nil {
		t.Fatalf("%s: no PEM block", path)
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return cert
}

// run runs one chromedp action on b's tab within stepLimit, failing the
// test on an error. (Methods cannot have type parameters.)
func run[T any](b *browser, what string, a chromedp.Action[T]) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepLimit)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		b.t.Fatalf("%s (at %s): %v", what, b.where(), err)
	}
	return v
}

// where returns the address of the page, for failure messages.
func (b *browser) where() string {
	ctx, cancel := context.WithTimeout(b.ctx, time.Second)
	defer cancel()
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		return "an unknown page"
	}
	return loc
}

// open loads path (relative to base, e.g. "/account") and returns the
// response of the page it ends on, after redirects.
func (b *browser) open(path string) *network.Response {
	b.t.Helper()
	resp, err := b.tryOpen(b.base + path)
	if err != nil {
		b.t.Fatalf("open %s: %v", path, err)
	}
	return resp
}

// tryOpen loads an absolute URL and returns the response of the page it
// ends on, or the error (such as a certificate error) that stopped it.
func (b *browser) tryOpen(rawURL string) (*network.Response, error) {
	ctx, cancel := context.WithTimeout(b.ctx, stepLimit)
	defer cancel()
	return chromedp.Run(ctx, chromedp.NavigateResponse(rawURL))
}

// submit fills the text inputs of form#id named by fields (typing the
// values, an empty value leaves the input empty), clicks the form's submit
// button, waits for the next page and returns its response.
func (b *browser) submit(id string, fields map[string]string) *network.Response {
	b.t.Helper()
	form := "form#" + id
	for name, value := range fields {
		input := chromedp.CSS(fmt.Sprintf("%s [name=%q]", form, name))
		run(b, "clear "+name, chromedp.Clear(input))
		if value != "" {
			run(b, "type into "+name, chromedp.SendKeys(input, value))
		}
	}
	return b.click(fmt.Sprintf("%s button:not([type=button]), %s input[type=submit]", form, form))
}

// click clicks the element sel, which loads a page, waits for it and
// returns its response.
func (b *browser) click(sel string) *network.Response {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepLimit)
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(sel), chromedp.NodeVisible))
	if err != nil {
		b.t.Fatalf("click %s (at %s): %v", sel, b.where(), err)
	}
	return resp
}

// path returns the path and query of the page, e.g. "/signin?next=%2Fenroll".
func (b *browser) path() string {
	b.t.Helper()
	u, err := url.Parse(run(b, "location", chromedp.Location()))
	if err != nil {
		b.t.Fatal(err)
	}
	return u.RequestURI()
}

// text returns the visible text of the first element sel, trimmed; it
// waits (up to stepLimit) for the element.
func (b *browser) text(sel string) string {
	b.t.Helper()
	return strings.TrimSpace(run(b, "text of "+sel, chromedp.Text(chromedp.CSS(sel))))
}

// texts returns the trimmed text of every element sel, now.
func (b *browser) texts(sel string) []string {
	b.t.Helper()
	q, _ := json.Marshal(sel)
	js := fmt.Sprintf(`Array.from(document.querySelectorAll(%s), e => e.textContent.trim())`, q)
	return run(b, "texts of "+sel, chromedp.Evaluate[[]string](js))
}

// count returns the number of elements sel on the page now, without waiting.
func (b *browser) count(sel string) int {
	b.t.Helper()
	q, _ := json.Marshal(sel)
	return run(b, "count "+sel, chromedp.Evaluate[int](fmt.Sprintf(`document.querySelectorAll(%s).length`, q)))
}

// expectCounts reports on t every selector of want whose number of
// elements on the page (named page in messages) differs.
func (b *browser) expectCounts(t *testing.T, page string, want map[string]int) {
	t.Helper()
	for sel, n := range want {
		if got := b.count(sel); got != n {
			t.Errorf("%s has %d %s, want %d", page, got, sel, n)
		}
	}
}

// attr returns the attribute name of the first element sel as written in
// the page (not resolved against the base URL), failing without it.
func (b *browser) attr(sel, name string) string {
	b.t.Helper()
	res := run(b, "attribute "+name+" of "+sel, chromedp.AttributeValue(chromedp.CSS(sel), name))
	if !res.Exists {
		b.t.Fatalf("%s has no attribute %s (at %s)", sel, name, b.where())
	}
	return res.Value
}

// artifactsDir is $RADIUSD_ARTIFACTS (created if needed) or, without it, a
// temporary directory of the test.
func artifactsDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("RADIUSD_ARTIFACTS")
	if dir == "" {
		return t.TempDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// screenshot saves a PNG of the whole page as dir/name and returns its path.
func (b *browser) screenshot(dir, name string) string {
	b.t.Helper()
	png := run(b, "screenshot", chromedp.FullScreenshot(100))
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
	return p
}

// qr takes a screenshot of the image sel, as the user's phone camera would
// see it, and returns what zbarimg decodes from it.
func (b *browser) qr(sel string) string {
	b.t.Helper()
	png := run(b, "screenshot "+sel, chromedp.Screenshot(chromedp.CSS(sel)))
	p := filepath.Join(b.t.TempDir(), "qr.png")
	if err := os.WriteFile(p, png, 0o600); err != nil {
		b.t.Fatal(err)
	}
	return zbarimg(b.t, p)
}

// phone runs f with the tab at the phone viewport, then restores the
// desktop one.
func (b *browser) phone(f func()) {
	b.t.Helper()
	run(b, "phone viewport", chromedp.EmulateViewport(phoneWidth, phoneHeight, chromedp.EmulateMobile, chromedp.EmulatePortrait))
	defer run(b, "desktop viewport", chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, emulation.ClearDeviceMetricsOverride, cdp.Empty{})
		return err
	}))
	f()
}

// download clicks the link sel and waits for the download it starts to
// complete, into a new empty directory; it returns the file name the
// browser chose and the content.
func (b *browser) download(sel string) (string, []byte) {
	b.t.Helper()
	dir := b.t.TempDir()
	run(b, "allow downloads", chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.CallBrowser(ctx, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{
			Behavior:         cdpbrowser.SetDownloadBehaviorBehaviorAllow,
			BrowserContextID: chromedp.FromContext(b.ctx).BrowserContextID,
			DownloadPath:     dir,
			EventsEnabled:    new(true),
		})
		return err
	}))
	ctx, cancel := context.WithTimeout(b.ctx, stepLimit)
	defer cancel()
	progress := chromedp.BrowserEvents(ctx, cdpbrowser.DownloadProgress)
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(sel), chromedp.NodeVisible)); err != nil {
		b.t.Fatalf("click %s: %v", sel, err)
	}
	for ev, err := range progress {
		if err != nil {
			b.t.Fatalf("the download of %s did not complete: %v", sel, err)
		}
		if ev.State == cdpbrowser.DownloadProgressStateCanceled {
			b.t.Fatalf("the download of %s was cancelled", sel)
		}
		if ev.State == cdpbrowser.DownloadProgressStateCompleted {
			break
		}
	}
	files, err := os.ReadDir(dir)
	if err != nil || len(files) != 1 {
		b.t.Fatalf("the download directory holds %d files (%v), want 1", len(files), err)
	}
	data, err := os.ReadFile(filepath.Join(dir, files[0].Name()))
	if err != nil {
		b.t.Fatal(err)
	}
	return files[0].Name(), data
}

// waitTCP waits up to 10 seconds until addr accepts TCP connections.
func waitTCP(t *testing.T, addr string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("nothing listens on %s after 10s: %v", addr, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// header returns the value of the response header name (any case), or "".
func header(resp *network.Response, name string) string {
	for k, v := range resp.Headers {
		if strings.EqualFold(k, name) {
			s, _ := v.(string)
			return s
		}
	}
	return ""
}

// pageLog records, for one tab, what a page should never cause: a request
// to another origin (every asset is embedded), an error in the browser log
// (a Content-Security-Policy violation, a failed load) and an uncaught
// JavaScript exception.
type pageLog struct {
	mu       sync.Mutex
	base     string
	problems []string
}

// record is the tab's event listener; it runs in the tab's event loop.
func (l *pageLog) record(ev any) {
	var problem string
	switch ev := ev.(type) {
	case *network.EventRequestWillBeSent:
		u := ev.Request.URL
		if !strings.HasPrefix(u, l.base+"/") && !strings.HasPrefix(u, "data:") && !strings.HasPrefix(u, "blob:") {
			problem = "request to another origin: " + u
		}
	case *cdplog.EventEntryAdded:
		if ev.Entry.Level == cdplog.EntryLevelError {
			problem = fmt.Sprintf("browser log (%s) %s: %s", ev.Entry.Source, ev.Entry.URL, ev.Entry.Text)
		}
	case *runtime.EventExceptionThrown:
		problem = "uncaught exception: " + ev.ExceptionDetails.Text
		if ex := ev.ExceptionDetails.Exception; ex != nil {
			problem += " " + ex.Description
		}
	}
	if problem != "" {
		l.mu.Lock()
		l.problems = append(l.problems, problem)
		l.mu.Unlock()
	}
}

// checkPages reports every problem recorded since the last check that
// contains none of allowed, and forgets them all.
func (b *browser) checkPages(allowed ...string) {
	b.t.Helper()
	b.log.mu.Lock()
	problems := b.log.problems
	b.log.problems = nil
	b.log.mu.Unlock()
	for _, p := range problems {
		if !slices.ContainsFunc(allowed, func(a string) bool { return strings.Contains(p, a) }) {
			b.t.Errorf("page problem: %s", p)
		}
	}
}

// cookies returns the cookies the browser would send to the current page.
func (b *browser) cookies() []*network.Cookie {
	b.t.Helper()
	res := run(b, "cookies", func(ctx context.Context, t *chromedp.Target) (network.GetCookiesResult, error) {
		return cdp.Call(ctx, t, network.GetCookies, network.GetCookiesParams{})
	})
	return res.Cookies
}

// html returns the markup of the whole page.
func (b *browser) html() string {
	b.t.Helper()
	return run(b, "page markup", chromedp.Evaluate[string](`document.documentElement.outerHTML`))
}
