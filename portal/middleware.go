package portal

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"radiusd/store"
)

// sessionHandler serves a request of a signed-in user.
type sessionHandler func(w http.ResponseWriter, r *http.Request, s session)

// current returns the live session of the request's cookie.
func (p *Portal) current(r *http.Request) (session, bool) {
	token := p.cookie(r, sessionCookie)
	if token == "" || len(token) > 128 {
		return session{}, false
	}
	return p.sessions.get(token)
}

// user admits signed-in users: GET requests without a session are sent to
// sign in (and back), POST requests need the session's CSRF token. A
// session whose user was reset since it began, on any node, is ended.
func (p *Portal) user(h sessionHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s, ok := p.current(r)
		if ok && r.Method == http.MethodPost && !validCSRF(s.csrf, r.PostFormValue("csrf")) {
			p.fail(w, r, http.StatusForbidden, "This form has expired. Go back, reload the page and try again.")
			return
		}
		if ok {
			var err error
			if ok, err = p.stillValid(r.Context(), s); err != nil {
				p.unavailable(w, r, err)
				return
			}
		}
		if !ok {
			p.toSignIn(w, r)
			return
		}
		h(w, r, s)
	}
}

// admin admits members of the admin groups who signed in with a second
// factor; anyone else signed in gets 403.
func (p *Portal) admin(h sessionHandler) http.HandlerFunc {
	return p.user(func(w http.ResponseWriter, r *http.Request, s session) {
		if !s.admin {
			p.log.Warn("admin page refused", "user", s.user, "path", r.URL.Path, "remote", p.clientAddr(r))
			p.fail(w, r, http.StatusForbidden, "This page is for administrators who signed in with a second factor.")
			return
		}
		h(w, r, s)
	})
}

// stillValid reports whether the user's enrolment is the one the session
// knows: a reset (or a new enrolment elsewhere) ends the session.
func (p *Portal) stillValid(ctx context.Context, s session) (bool, error) {
	rec, err := p.load(ctx, s.user)
	if err != nil {
		return false, err
	}
	if !rec.EnrolledAt.Equal(s.enrolledAt) {
		p.sessions.end(s.key)
		p.log.Info("session ended: enrolment changed", "user", s.user)
		return false, nil
	}
	return true, nil
}

// load returns the store's record of name; a user the store has never seen
// is the zero record.
func (p *Portal) load(ctx context.Context, name string) (store.User, error) {
	rec, err := p.store.Get(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		return store.User{Name: name, State: store.StateNone, Policy: store.PolicyDefault, Method: store.MethodDefault}, nil
	}
	return rec, err
}

// toSignIn sends a request without a session to the sign-in page, coming
// back to a GET page afterwards.
func (p *Portal) toSignIn(w http.ResponseWriter, r *http.Request) {
	p.setCookie(w, sessionCookie, "", -1)
	if r.Method != http.MethodGet {
		p.fail(w, r, http.StatusForbidden, "Your session has ended. Sign in again.")
		return
	}
	target := "/signin"
	if next := localPath(r.URL.Path); next != "/account" && next != "" {
		target += "?next=" + url.QueryEscape(next)
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// localPath returns path if it is one of the portal's pages to come back to
// after sign-in, else "/account" (no open redirect).
func localPath(path string) string {
	switch {
	case path == "/enroll", path == "/account", path == "/admin/users", path == "/admin/audit":
		return path
	case strings.HasPrefix(path, "/admin/users/") && !strings.ContainsAny(path[len("/admin/users/"):], "/\\"):
		return path
	}
	return "/account"
}

// unavailable answers a backend failure (fail closed) without details.
func (p *Portal) unavailable(w http.ResponseWriter, r *http.Request, err error) {
	p.log.Error("request failed", "path", r.URL.Path, "err", err)
	p.fail(w, r, http.StatusServiceUnavailable, "The service is unavailable. Try again in a minute.")
}

// isAdmin reports whether groups include one of the admin groups.
func (p *Portal) isAdmin(groups []string) bool {
	return slices.ContainsFunc(groups, func(g string) bool {
		return slices.ContainsFunc(p.opts.AdminGroups, func(a string) bool { return strings.EqualFold(a, g) })
	})
}
