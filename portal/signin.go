package portal

import (
	"net/http"
	"unicode/utf8"

	"radiusd/auth"
)

// Limits on sign-in fields; longer input is refused before any lookup.
const (
	maxUserLen     = 256
	maxPasswordLen = 1024
	maxCodeLen     = 64
)

type signinData struct {
	Next string
	User string
}

func (p *Portal) home(w http.ResponseWriter, r *http.Request) {
	target := "/signin"
	if _, ok := p.current(r); ok {
		target = "/account"
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

func (p *Portal) signinPage(w http.ResponseWriter, r *http.Request) {
	if _, ok := p.current(r); ok {
		http.Redirect(w, r, localPath(r.URL.Query().Get("next")), http.StatusSeeOther)
		return
	}
	p.showSignin(w, http.StatusOK, localPath(r.URL.Query().Get("next")), "", "")
}

// showSignin renders the sign-in form with a fresh CSRF token, which is
// also set as a cookie (double submit: a page from another site can read
// neither).
func (p *Portal) showSignin(w http.ResponseWriter, status int, next, user, errMsg string) {
	token := randomToken()
	p.setCookie(w, signinCookie, token, 0)
	if !utf8.ValidString(user) || len(user) > maxUserLen {
		user = ""
	}
	p.render(w, status, "signin", view{Title: "Sign in", CSRF: token, Error: errMsg, Data: signinData{Next: next, User: user}})
}

func (p *Portal) signin(w http.ResponseWriter, r *http.Request) {
	next := localPath(r.PostFormValue("next"))
	if !validCSRF(p.cookie(r, signinCookie), r.PostFormValue("csrf")) {
		p.opts.Observer.SignIn("limited", "csrf")
		p.showSignin(w, http.StatusForbidden, next, "", "The sign-in form had expired. Try again.")
		return
	}
	addr := p.clientAddr(r)
	if !p.limiter.allow(addr) {
		p.log.Warn("sign-in rate limited", "remote", addr)
		p.opts.Observer.SignIn("limited", "rate_limited")
		p.showSignin(w, http.StatusTooManyRequests, next, "", "Too many sign-in attempts from your address. Wait a minute and try again.")
		return
	}
	user, password, code := r.PostFormValue("user"), r.PostFormValue("password"), r.PostFormValue("code")
	if !plausible(user, maxUserLen) || !plausible(password, maxPasswordLen) || !plausible(code, maxCodeLen) {
		p.log.Info("sign-in refused", "reason", "bad_input", "remote", addr)
		p.opts.Observer.SignIn("refused", "bad_input")
		p.showSignin(w, http.StatusUnauthorized, next, "", "Sign-in failed.")
		return
	}
	res, err := p.auth.SignIn(r.Context(), user, password, code)
	if err != nil {
		p.log.Error("sign-in failed", "user", res.User, "remote", addr, "err", err)
		p.opts.Observer.SignIn("error", res.Reason)
		p.showSignin(w, http.StatusServiceUnavailable, next, user, "The service is unavailable. Try again in a minute.")
		return
	}
	if !res.OK {
		p.log.Info("sign-in refused", "user", res.User, "reason", res.Reason, "remote", addr)
		p.opts.Observer.SignIn("refused", res.Reason)
		msg := "Sign-in failed."
		if res.Locked {
			msg = "Account temporarily locked. Try again later or ask your administrator."
		}
		p.showSignin(w, http.StatusUnauthorized, next, user, msg)
		return
	}
	p.opts.Observer.SignIn("ok", res.Reason)
	p.startSession(w, r, res, next)
}

// startSession begins the session of a signed-in user, with a new id.
func (p *Portal) startSession(w http.ResponseWriter, r *http.Request, res auth.SignInResult, next string) {
	admin := res.SecondFactor && p.isAdmin(res.Groups)
	_, token := p.sessions.start(session{user: res.User, groups: res.Groups, secondFactor: res.SecondFactor,
		admin: admin, enrolledAt: res.EnrolledAt})
	p.setCookie(w, sessionCookie, token, 0)
	p.setCookie(w, signinCookie, "", -1)
	p.log.Info("signed in", "user", res.User, "second_factor", res.SecondFactor, "admin", admin, "remote", p.clientAddr(r))
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// plausible reports whether a form field is valid text of at most max bytes
// without NUL or other control characters.
func plausible(s string, max int) bool {
	if len(s) > max || !utf8.ValidString(s) {
		return false
	}
	for _, c := range s {
		if c < 0x20 || c == 0x7f {
			return false
		}
	}
	return true
}

func (p *Portal) signout(w http.ResponseWriter, r *http.Request, s session) {
	p.sessions.end(s.key)
	p.setCookie(w, sessionCookie, "", -1)
	p.log.Info("signed out", "user", s.user)
	http.Redirect(w, r, "/signin", http.StatusSeeOther)
}
