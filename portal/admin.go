package portal

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"radiusd/store"
)

// notices are the fixed texts a redirect may ask a page to show.
var notices = map[string]string{
	"reset":  "The user was reset: they must enroll again.",
	"unlock": "The user was unlocked.",
	"policy": "The policy override was saved.",
}

// pageSize is the number of users per page of the admin list.
const pageSize = 25

type usersData struct {
	Query      string
	Users      []store.User
	Page       int
	Prev, Next string // links to the neighbouring pages; "" at either end
	Total      int
	Exact      string // a valid user name searched for that the store has never seen
}

func (p *Portal) adminUsers(w http.ResponseWriter, r *http.Request, s session) {
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	if !plausible(q, maxUserLen) {
		q = ""
	}
	page, _ := strconv.Atoi(r.URL.Query().Get("page"))
	page = max(page, 1)
	all, err := p.store.List(r.Context())
	if err != nil {
		p.unavailable(w, r, err)
		return
	}
	match := all[:0]
	for _, u := range all {
		if q == "" || strings.Contains(u.Name, strings.ToLower(q)) {
			match = append(match, u)
		}
	}
	d := usersData{Query: q, Page: page, Total: len(match)}
	from := min((page-1)*pageSize, len(match))
	d.Users = match[from:min(from+pageSize, len(match))]
	if page > 1 {
		d.Prev = pageLink(q, page-1)
	}
	if from+pageSize < len(match) {
		d.Next = pageLink(q, page+1)
	}
	if name, err := p.accounts.Name(q); err == nil && q != "" && len(match) == 0 {
		d.Exact = name
	}
	p.render(w, http.StatusOK, "users", view{Title: "Users", User: s.user, Admin: true, CSRF: s.csrf, Data: d})
}

func pageLink(q string, page int) string {
	return "/admin/users?" + url.Values{"q": {q}, "page": {strconv.Itoa(page)}}.Encode()
}

type userData struct {
	Rec    store.User
	Locked bool
	Audit  []store.AuditEntry
}

func (p *Portal) adminUser(w http.ResponseWriter, r *http.Request, s session) {
	name, err := p.accounts.Name(r.PathValue("name"))
	if err != nil {
		p.fail(w, r, http.StatusNotFound, "That is not a valid user name.")
		return
	}
	rec, err := p.load(r.Context(), name)
	if err != nil {
		p.unavailable(w, r, err)
		return
	}
	trail, err := p.store.ListAudit(r.Context(), store.AuditQuery{Target: name, Limit: 10})
	if err != nil {
		p.unavailable(w, r, err)
		return
	}
	d := userData{Rec: rec, Locked: rec.LockedUntil.After(p.opts.Now()), Audit: trail}
	p.render(w, http.StatusOK, "user", view{Title: name, User: s.user, Admin: true, CSRF: s.csrf,
		Notice: notices[r.URL.Query().Get("done")], Data: d})
}

// adminAction applies reset, unlock, policy or codes to a user and writes
// the audit trail.
func (p *Portal) adminAction(w http.ResponseWriter, r *http.Request, s session) {
	name, err := p.accounts.Name(r.PathValue("name"))
	if err != nil {
		p.fail(w, r, http.StatusNotFound, "That is not a valid user name.")
		return
	}
	action, detail := r.PathValue("action"), ""
	switch action {
	case "reset":
		err = p.store.Reset(r.Context(), name)
		p.sessions.endUser(name)
	case "unlock":
		err = p.store.Unlock(r.Context(), name)
	case "policy":
		pol := store.Policy(r.PostFormValue("policy"))
		if pol != store.PolicyDefault && pol != store.PolicyRequired && pol != store.PolicyExempt {
			p.fail(w, r, http.StatusBadRequest, "The policy must be default, required or exempt.")
			return
		}
		err, detail = p.store.SetPolicy(r.Context(), name, pol, p.opts.Now()), string(pol)
	case "codes":
		p.adminCodes(w, r, s, name)
		return
	default:
		http.NotFound(w, r)
		return
	}
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		p.unavailable(w, r, err)
		return
	}
	p.audit(r, s.user, action, name, detail)
	p.opts.Observer.AdminAction(action)
	http.Redirect(w, r, "/admin/users/"+url.PathEscape(name)+"?done="+action, http.StatusSeeOther)
}

func (p *Portal) adminCodes(w http.ResponseWriter, r *http.Request, s session, name string) {
	list, err := p.accounts.NewRecoveryCodes(r.Context(), name)
	if errors.Is(err, store.ErrNotFound) {
		p.fail(w, r, http.StatusConflict, name+" is not enrolled: recovery codes come with an enrolment.")
		return
	}
	if err != nil {
		p.unavailable(w, r, err)
		return
	}
	p.audit(r, s.user, "codes", name, "new set issued by an administrator")
	p.opts.Observer.AdminAction("codes")
	p.showCodes(w, s, name, list)
}

// audit writes one entry to the audit trail. The change it records is
// already made, so a failure to write it is logged as an Error with the
// entry (it holds no secret) rather than shown to the user.
func (p *Portal) audit(r *http.Request, actor, action, target, detail string) {
	e := store.AuditEntry{Time: p.opts.Now().UTC(), Actor: actor, Action: action, Target: target,
		Detail: detail, Remote: p.clientAddr(r).String()}
	if err := p.store.AddAudit(r.Context(), e); err != nil {
		p.log.Error("audit trail write failed", "actor", actor, "action", action, "target", target, "detail", detail, "err", err)
		return
	}
	p.log.Info("audit trail", "actor", actor, "action", action, "target", target, "detail", detail, "remote", e.Remote)
}

type auditData struct {
	User    string
	Entries []store.AuditEntry
	Older   string // link to the next page; "" at the end
}

func (p *Portal) adminAudit(w http.ResponseWriter, r *http.Request, s session) {
	q := store.AuditQuery{Limit: 50}
	if u := r.URL.Query().Get("user"); u != "" {
		if name, err := p.accounts.Name(u); err == nil {
			q.Target = name
		}
	}
	if before, err := strconv.ParseInt(r.URL.Query().Get("before"), 10, 64); err == nil && before > 0 {
		q.Before = before
	}
	entries, err := p.store.ListAudit(r.Context(), q)
	if err != nil {
		p.unavailable(w, r, err)
		return
	}
	d := auditData{User: q.Target, Entries: entries}
	if len(entries) == q.Limit {
		v := url.Values{"before": {strconv.FormatInt(entries[len(entries)-1].ID, 10)}}
		if q.Target != "" {
			v.Set("user", q.Target)
		}
		d.Older = "/admin/audit?" + v.Encode()
	}
	p.render(w, http.StatusOK, "audit", view{Title: "Audit trail", User: s.user, Admin: true, CSRF: s.csrf, Data: d})
}
