package portal

import (
	"encoding/base64"
	"errors"
	"html/template"
	"net/http"
	"strings"
	"time"

	"github.com/skip2/go-qrcode"

	"radiusd/auth"
	"radiusd/otp"
	"radiusd/store"
)

type accountData struct {
	Rec         store.User
	Locked      bool
	AdminGroups bool // the user is in an admin group but signed in without a code
}

func (p *Portal) account(w http.ResponseWriter, r *http.Request, s session) {
	p.showAccount(w, r, s, http.StatusOK, "")
}

func (p *Portal) showAccount(w http.ResponseWriter, r *http.Request, s session, status int, errMsg string) {
	rec, err := p.load(r.Context(), s.user)
	if err != nil {
		p.unavailable(w, r, err)
		return
	}
	d := accountData{Rec: rec, Locked: rec.LockedUntil.After(p.opts.Now()), AdminGroups: !s.admin && p.isAdmin(s.groups)}
	p.render(w, status, "account", view{Title: "Your account", User: s.user, Admin: s.admin, CSRF: s.csrf,
		Error: errMsg, Data: d})
}

func (p *Portal) enrollStart(w http.ResponseWriter, r *http.Request, s session) {
	_, err := p.accounts.Enroll(r.Context(), s.user, false)
	switch {
	case errors.Is(err, store.ErrExists):
		p.showAccount(w, r, s, http.StatusConflict, "You are already enrolled. Ask your administrator to reset you for a new phone.")
		return
	case err != nil:
		p.unavailable(w, r, err)
		return
	}
	p.log.Info("enrollment started", "user", s.user, "remote", p.clientAddr(r))
	http.Redirect(w, r, "/enroll", http.StatusSeeOther)
}

type enrollData struct {
	Issuer, Account string
	Key             string // base32, in groups of four
	URI             template.URL
	Digits, Period  int
	Algorithm       string
}

// pending returns the user's pending enrolment as an otpauth:// URI, or ok
// false when there is none.
func (p *Portal) pending(r *http.Request, s session) (rec store.User, uri string, ok bool, err error) {
	rec, err = p.load(r.Context(), s.user)
	if err != nil || rec.State != store.StatePending {
		return rec, "", false, err
	}
	params := otp.Params{Digits: rec.TOTP.Digits, Period: rec.TOTP.Period, Algorithm: rec.TOTP.Algorithm}
	return rec, otp.URI(p.opts.Issuer, s.user, rec.TOTP.Secret, params), true, nil
}

func (p *Portal) enrollPage(w http.ResponseWriter, r *http.Request, s session) {
	p.showEnroll(w, r, s, http.StatusOK, "")
}

func (p *Portal) showEnroll(w http.ResponseWriter, r *http.Request, s session, status int, errMsg string) {
	rec, uri, ok, err := p.pending(r, s)
	if err != nil {
		p.unavailable(w, r, err)
		return
	}
	if !ok {
		http.Redirect(w, r, "/account", http.StatusSeeOther)
		return
	}
	noStore(w)
	d := enrollData{Issuer: p.opts.Issuer, Account: s.user, Key: groupsOfFour(otp.EncodeSecret(rec.TOTP.Secret)),
		URI: template.URL(uri), Digits: rec.TOTP.Digits, Period: rec.TOTP.Period, Algorithm: rec.TOTP.Algorithm}
	p.render(w, status, "enroll", view{Title: "Set up your authenticator app", User: s.user, Admin: s.admin,
		CSRF: s.csrf, Error: errMsg, Data: d})
}

func (p *Portal) enrollQR(w http.ResponseWriter, r *http.Request, s session) {
	_, uri, ok, err := p.pending(r, s)
	if err != nil {
		p.unavailable(w, r, err)
		return
	}
	if !ok {
		http.NotFound(w, r)
		return
	}
	png, err := qrcode.Encode(uri, qrcode.Medium, 320)
	if err != nil {
		p.unavailable(w, r, err)
		return
	}
	noStore(w)
	w.Header().Set("Content-Type", "image/png")
	_, _ = w.Write(png)
}

// groupsOfFour spaces a key for typing: "JBSW Y3DP EHPK 3PXP".
func groupsOfFour(key string) string {
	var b strings.Builder
	for i, c := range key {
		if i > 0 && i%4 == 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(c)
	}
	return b.String()
}

func (p *Portal) enrollConfirm(w http.ResponseWriter, r *http.Request, s session) {
	code := strings.TrimSpace(r.PostFormValue("code"))
	if !plausible(code, maxCodeLen) {
		code = ""
	}
	list, err := p.accounts.Confirm(r.Context(), s.user, code)
	switch {
	case errors.Is(err, auth.ErrWrongCode):
		p.showEnroll(w, r, s, http.StatusUnprocessableEntity, "That code did not match. Check the time on your phone and enter the current code.")
		return
	case errors.Is(err, store.ErrNotPending):
		http.Redirect(w, r, "/account", http.StatusSeeOther)
		return
	case err != nil:
		p.unavailable(w, r, err)
		return
	}
	rec, err := p.load(r.Context(), s.user)
	if err != nil {
		p.unavailable(w, r, err)
		return
	}
	p.sessions.update(s.key, func(x *session) { x.enrolledAt = rec.EnrolledAt })
	p.audit(r, s.user, "enroll", s.user, "confirmed in the portal")
	p.showCodes(w, s, s.user, list)
}

func (p *Portal) newCodes(w http.ResponseWriter, r *http.Request, s session) {
	code := strings.TrimSpace(r.PostFormValue("code"))
	if !plausible(code, maxCodeLen) || code == "" {
		p.showAccount(w, r, s, http.StatusUnprocessableEntity, "Enter a current code to issue new recovery codes.")
		return
	}
	ok, reason, err := p.auth.VerifyCode(r.Context(), s.user, code)
	if err != nil {
		p.unavailable(w, r, err)
		return
	}
	if !ok {
		p.log.Info("new recovery codes refused", "user", s.user, "reason", reason, "remote", p.clientAddr(r))
		p.showAccount(w, r, s, http.StatusUnprocessableEntity, "That code was not accepted.")
		return
	}
	list, err := p.accounts.NewRecoveryCodes(r.Context(), s.user)
	if err != nil {
		p.unavailable(w, r, err)
		return
	}
	p.audit(r, s.user, "codes", s.user, "new set issued in the portal")
	p.showCodes(w, s, s.user, list)
}

type codesData struct {
	For      string // whose codes
	Codes    []string
	Download template.URL // data: URL of the codes as a .txt file
	Issued   string
}

// showCodes shows a set of recovery codes, once.
func (p *Portal) showCodes(w http.ResponseWriter, s session, user string, list []string) {
	now := p.opts.Now().UTC().Format(time.RFC3339)
	text := p.opts.Issuer + " recovery codes for " + user + " (issued " + now + ")\n" +
		"Each code works once. Keep them somewhere safe.\n\n" + strings.Join(list, "\n") + "\n"
	d := codesData{For: user, Codes: list, Issued: now,
		Download: template.URL("data:text/plain;charset=utf-8;base64," + base64.StdEncoding.EncodeToString([]byte(text)))}
	noStore(w)
	p.render(w, http.StatusOK, "codes", view{Title: "Recovery codes", User: s.user, Admin: s.admin, CSRF: s.csrf, Data: d})
}
