package portal

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"radiusd/store"
)

// signInAdmin enrolls bob (an admin) and signs him in with a code.
func (e *env) signInAdmin() *browser {
	e.t.Helper()
	s := e.enroll("bob")
	b := e.browser()
	b.signIn("bob", adminPw, e.code(s))
	return b
}

func TestAdminPagesNeedAdmin(t *testing.T) {
	e := newEnv(t)
	user := e.browser()
	user.signIn("alice", pw, "")
	// carol is in the admin group but not enrolled: no second factor.
	noCode := e.browser()
	noCode.signIn("carol", adminPw, "")
	noCode.get("/account").mustContain(t, "You are an administrator: sign in with a code")
	for _, b := range []*browser{user, noCode} {
		for _, path := range []string{"/admin/users", "/admin/users/alice", "/admin/audit"} {
			if p := b.get(path); p.status != http.StatusForbidden {
				t.Errorf("GET %s as a non-admin: %d", path, p.status)
			}
		}
		if p := b.post("/admin/users/alice/reset", url.Values{"csrf": {b.csrf("/account")}}); p.status != http.StatusForbidden {
			t.Errorf("POST reset as a non-admin: %d", p.status)
		}
	}
	if _, err := e.st.Get(t.Context(), "alice"); err != store.ErrNotFound || strings.Contains(e.logs.String(), `action=reset`) {
		t.Fatal("a non-admin's reset went through")
	}
	if p := e.browser().get("/admin/users"); p.status != http.StatusSeeOther || p.header.Get("Location") != "/signin?next=%2Fadmin%2Fusers" {
		t.Fatalf("anonymous GET /admin/users: %d %s", p.status, p.header.Get("Location"))
	}
}

func TestAdminResetEndsSessions(t *testing.T) {
	e := newEnv(t)
	s := e.enroll("alice")
	alice := e.browser()
	alice.signIn("alice", pw, e.code(s))
	admin := e.signInAdmin()
	admin.get("/account").mustContain(t, `id="admin"`)
	list := admin.get("/admin/users?q=ALI")
	list.mustContain(t, `<tr data-user="alice">`, `<td class="state">active</td>`)
	if strings.Contains(list.body, `data-user="bob"`) {
		t.Fatal("search for ali lists bob")
	}
	admin.get("/admin/users/alice").mustContain(t, `id="reset"`, `id="unlock"`, `id="policy"`, `id="admin-codes"`)
	p := admin.post("/admin/users/alice/reset", url.Values{"csrf": {admin.csrf("/admin/users/alice")}})
	if p.status != http.StatusSeeOther || p.header.Get("Location") != "/admin/users/alice?done=reset" {
		t.Fatalf("reset: %d %s", p.status, p.header.Get("Location"))
	}
	admin.get(p.header.Get("Location")).mustContain(t, notices["reset"], `<dd id="state">none</dd>`)
	if p := alice.get("/account"); p.status != http.StatusSeeOther {
		t.Fatalf("alice's session outlived the reset: %d", p.status)
	}
	trail, err := e.st.ListAudit(t.Context(), store.AuditQuery{Target: "alice"})
	if err != nil || len(trail) == 0 || trail[0].Actor != "bob" || trail[0].Action != "reset" || trail[0].Remote != "127.0.0.1" {
		t.Fatalf("audit trail = %+v, %v", trail, err)
	}
	admin.get("/admin/audit").mustContain(t, `id="audit"`, "<td>bob</td><td>reset</td><td>alice</td>")
}

// TestResetOnAnotherNode: a reset made elsewhere (the CLI, another node)
// ends the session on its next request.
func TestResetOnAnotherNode(t *testing.T) {
	e := newEnv(t)
	s := e.enroll("alice")
	b := e.browser()
	b.signIn("alice", pw, e.code(s))
	if err := e.st.Reset(t.Context(), "alice"); err != nil {
		t.Fatal(err)
	}
	if p := b.get("/account"); p.status != http.StatusSeeOther {
		t.Fatalf("session outlived a reset in the store: %d", p.status)
	}
}

func TestAdminActions(t *testing.T) {
	e := newEnv(t)
	e.enroll("alice")
	admin := e.signInAdmin()
	csrf := admin.csrf("/admin/users")
	until, err := e.st.RecordFailure(t.Context(), "alice", store.Failure{Fingerprint: []byte{1}, Now: e.clock.now(), MaxFailures: 1, LockFor: time.Hour})
	if err != nil || until.IsZero() {
		t.Fatal(err)
	}
	admin.get("/admin/users").mustContain(t, until.UTC().Format("2006-01-02 15:04 UTC"))
	if p := admin.post("/admin/users/alice/unlock", url.Values{"csrf": {csrf}}); p.status != http.StatusSeeOther || !e.user("alice").LockedUntil.IsZero() {
		t.Fatalf("unlock: %d", p.status)
	}
	if p := admin.post("/admin/users/alice/policy", url.Values{"csrf": {csrf}, "policy": {"exempt"}}); p.status != http.StatusSeeOther || e.user("alice").Policy != store.PolicyExempt {
		t.Fatalf("policy: %d", p.status)
	}
	if p := admin.post("/admin/users/alice/policy", url.Values{"csrf": {csrf}, "policy": {"<b>"}}); p.status != http.StatusBadRequest {
		t.Fatalf("bad policy: %d", p.status)
	}
	codes := recoveryCodes(t, admin.post("/admin/users/alice/codes", url.Values{"csrf": {csrf}}))
	if len(codes) != 8 {
		t.Fatalf("admin codes: %v", codes)
	}
	if p := admin.post("/admin/users/dave/codes", url.Values{"csrf": {csrf}}); p.status != http.StatusConflict {
		t.Fatalf("codes for a user who is not enrolled: %d", p.status)
	}
	if p := admin.post("/admin/users/alice/explode", url.Values{"csrf": {csrf}}); p.status != http.StatusNotFound {
		t.Fatalf("unknown action: %d", p.status)
	}
	if p := admin.post("/admin/users/alice/unlock", url.Values{"csrf": {"stale"}}); p.status != http.StatusForbidden {
		t.Fatalf("admin action with a wrong CSRF token: %d", p.status)
	}
	trail, _ := e.st.ListAudit(t.Context(), store.AuditQuery{Target: "alice", Actor: "bob"})
	var actions []string
	for _, a := range trail {
		actions = append(actions, a.Action+":"+a.Detail)
	}
	if got := strings.Join(actions, ","); got != "codes:new set issued by an administrator,policy:exempt,unlock:" {
		t.Fatalf("audit = %s", got)
	}
}

func TestAdminUserListPaged(t *testing.T) {
	e := newEnv(t)
	for i := range 30 {
		if err := e.st.SetPolicy(t.Context(), "user"+string(rune('a'+i%26))+strings.Repeat("x", i/26), store.PolicyRequired, e.clock.now()); err != nil {
			t.Fatal(err)
		}
	}
	admin := e.signInAdmin()
	first := admin.get("/admin/users")
	if n := strings.Count(first.body, "<tr data-user="); n != pageSize {
		t.Fatalf("first page has %d rows", n)
	}
	first.mustContain(t, `id="next"`, "31 user(s)")
	second := admin.get("/admin/users?page=2&q=")
	if n := strings.Count(second.body, "<tr data-user="); n != 31-pageSize {
		t.Fatalf("second page has %d rows", n)
	}
	second.mustContain(t, `id="prev"`)
	admin.get("/admin/users?q=dave").mustContain(t, `id="open-exact" href="/admin/users/dave"`)
}

// TestAdminEscapesNames: a stored name full of HTML is shown as text.
func TestAdminEscapesNames(t *testing.T) {
	e := newEnv(t)
	evil := `<img src=x onerror=alert(1)>`
	if err := e.st.SetPolicy(t.Context(), evil, store.PolicyRequired, e.clock.now()); err != nil {
		t.Fatal(err)
	}
	admin := e.signInAdmin()
	for _, path := range []string{"/admin/users", "/admin/users/" + url.PathEscape(evil)} {
		p := admin.get(path)
		if p.status != http.StatusOK || strings.Contains(p.body, "<img src=x") {
			t.Fatalf("%s: %d, unescaped:\n%s", path, p.status, p.body)
		}
		p.mustContain(t, "&lt;img src=x onerror=alert(1)&gt;")
	}
}

func TestAdminAuditPaged(t *testing.T) {
	e := newEnv(t)
	for i := range 55 {
		if err := e.st.AddAudit(t.Context(), store.AuditEntry{Time: e.clock.now(), Actor: "cli:root", Action: "unlock",
			Target: []string{"alice", "dave"}[i%2], Remote: "local"}); err != nil {
			t.Fatal(err)
		}
	}
	admin := e.signInAdmin()
	first := admin.get("/admin/audit")
	if n := strings.Count(first.body, "<td>cli:root</td>"); n != 50 {
		t.Fatalf("first page: %d entries", n)
	}
	m := regexp.MustCompile(`id="older" href="([^"]+)"`).FindStringSubmatch(first.body)
	if m == nil {
		t.Fatal("no link to older entries")
	}
	if n := strings.Count(admin.get(html.UnescapeString(m[1])).body, "<td>cli:root</td>"); n != 5 {
		t.Fatalf("second page: %d entries", n)
	}
	if n := strings.Count(admin.get("/admin/audit?user=DAVE").body, "<td>dave</td>"); n != 27 {
		t.Fatalf("dave's entries: %d", n)
	}
	if p := admin.get("/admin/audit?before=-5"); p.status != http.StatusOK {
		t.Fatalf("negative before: %d", p.status)
	}
}
