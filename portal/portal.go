package portal

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/netip"
	"time"

	"radiusd/auth"
	"radiusd/store"
)

// Authenticator checks sign-ins and fresh codes; *auth.Authenticator
// implements it.
type Authenticator interface {
	SignIn(ctx context.Context, username, password, code string) (auth.SignInResult, error)
	VerifyCode(ctx context.Context, user, code string) (ok bool, reason string, err error)
}

// Accounts enrolls users and issues recovery codes; *auth.Accounts
// implements it.
type Accounts interface {
	Name(raw string) (string, error)
	Enroll(ctx context.Context, user string, force bool) (auth.Enrollment, error)
	Confirm(ctx context.Context, user, code string) ([]string, error)
	NewRecoveryCodes(ctx context.Context, user string) ([]string, error)
}

// Store is what the portal needs of the store; see store.Store for the
// contract of each method.
type Store interface {
	Get(ctx context.Context, name string) (store.User, error)
	List(ctx context.Context) ([]store.User, error)
	Reset(ctx context.Context, name string) error
	Unlock(ctx context.Context, name string) error
	SetPolicy(ctx context.Context, name string, p store.Policy, now time.Time) error
	AddAudit(ctx context.Context, e store.AuditEntry) error
	ListAudit(ctx context.Context, q store.AuditQuery) ([]store.AuditEntry, error)
}

// Observer is told of sign-ins and admin actions, for metrics. Its
// arguments come from fixed vocabularies: never a user name or a secret.
type Observer interface {
	// SignIn reports one sign-in attempt: result is "ok", "refused",
	// "limited" (rate limit or CSRF) or "error"; reason is the log line's.
	SignIn(result, reason string)
	// AdminAction reports one admin action: reset, unlock, policy or codes.
	AdminAction(action string)
}

type noObserver struct{}

func (noObserver) SignIn(string, string) {}
func (noObserver) AdminAction(string)    {}

// Options configure a Portal.
type Options struct {
	Issuer          string         // site name, shown on every page and in authenticator apps
	AdminGroups     []string       // directory groups allowed on the admin pages
	SessionIdle     time.Duration  // a session ends after this long without a request
	SessionMax      time.Duration  // a session ends this long after sign-in
	SigninPerMinute int            // sign-in attempts per client address per minute
	TrustedProxies  []netip.Prefix // peers whose X-Forwarded-For names the client
	Observer        Observer       // nil = none
	Now             func() time.Time
}

// Portal serves the portal's pages. It is safe for concurrent use.
type Portal struct {
	opts     Options
	auth     Authenticator
	accounts Accounts
	store    Store
	sessions *sessions
	limiter  *limiter
	pages    *pages
	log      *slog.Logger
}

// New returns a Portal. It checks the options but performs no I/O.
func New(opts Options, a Authenticator, acc Accounts, st Store, logger *slog.Logger) (*Portal, error) {
	if opts.SessionIdle <= 0 || opts.SessionMax < opts.SessionIdle || opts.SigninPerMinute <= 0 {
		return nil, errors.New("portal: session lifetimes and sign-in rate must be positive, idle ≤ max")
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Observer == nil {
		opts.Observer = noObserver{}
	}
	pg, err := parsePages()
	if err != nil {
		return nil, err
	}
	return &Portal{
		opts:     opts,
		auth:     a,
		accounts: acc,
		store:    st,
		sessions: newSessions(opts.SessionIdle, opts.SessionMax, opts.Now),
		limiter:  newLimiter(opts.SigninPerMinute, opts.Now),
		pages:    pg,
		log:      logger.With("component", "portal"),
	}, nil
}

// Handler returns the portal's routes, wrapped in the security headers,
// the cross-origin check and a bound on request bodies.
func (p *Portal) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /static/", staticHandler())
	mux.HandleFunc("GET /favicon.ico", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/static/favicon.svg", http.StatusMovedPermanently)
	})
	mux.HandleFunc("GET /{$}", p.home)
	mux.HandleFunc("GET /signin", p.signinPage)
	mux.HandleFunc("POST /signin", p.signin)
	mux.HandleFunc("POST /signout", p.user(p.signout))
	mux.HandleFunc("GET /account", p.user(p.account))
	mux.HandleFunc("POST /enroll", p.user(p.enrollStart))
	mux.HandleFunc("GET /enroll", p.user(p.enrollPage))
	mux.HandleFunc("GET /enroll/qr.png", p.user(p.enrollQR))
	mux.HandleFunc("POST /enroll/confirm", p.user(p.enrollConfirm))
	mux.HandleFunc("POST /codes", p.user(p.newCodes))
	mux.HandleFunc("GET /admin/users", p.admin(p.adminUsers))
	mux.HandleFunc("GET /admin/users/{name}", p.admin(p.adminUser))
	mux.HandleFunc("POST /admin/users/{name}/{action}", p.admin(p.adminAction))
	mux.HandleFunc("GET /admin/audit", p.admin(p.adminAudit))
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.fail(w, r, http.StatusForbidden, "This form came from another site and was refused.")
	}))
	return secureHeaders(cop.Handler(limitBody(mux)))
}

// EndSessions ends every session of user, on this node, at once; other
// nodes notice on the session's next request (see session.current).
func (p *Portal) EndSessions(user string) { p.sessions.endUser(user) }

// maxBody bounds a request body: the largest form is a few hundred bytes.
const maxBody = 16 << 10

func limitBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, maxBody)
		next.ServeHTTP(w, r)
	})
}

// contentSecurityPolicy allows nothing but the portal's own styles, script,
// images and forms.
const contentSecurityPolicy = "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; " +
	"form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

func secureHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Cross-Origin-Resource-Policy", "same-origin") // no other site may embed the QR image
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
		if r.TLS != nil {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		next.ServeHTTP(w, r)
	})
}
