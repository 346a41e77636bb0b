// Package ldap is the LDAP directory driver for OpenLDAP and Active
// Directory, implementing directory.Directory by search-then-bind: a
// service connection finds the user's entry (the login name escaped into
// the filter; the same search reads the e-mail address and mobile number)
// and groups, and a separate bind connection checks the password with
// exactly one user bind.
//
// go-ldap ignores contexts, so every operation runs under the time left
// until the ctx deadline and its connection is closed as soon as ctx is
// done. Servers are tried in order (failover); stale pooled connections
// are retried once on a new connection.
//
// It imports only directory, secret, go-ldap and the standard library; it
// must never import auth, store, config or radiussrv.
package ldap

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"sync/atomic"
	"time"

	goldap "github.com/go-ldap/ldap/v3"

	"radiusd/directory"
)

// Directory is an LDAP or Active Directory user directory. Create it with
// New; it is safe for concurrent use.
type Directory struct {
	cfg         Config
	log         *slog.Logger
	targets     []*target
	userAttrs   []string
	service     *pool // connections bound as BindDN (or anonymous): searches only
	binds       *pool // connections that only ever carry user binds
	cache       *cache
	now         func() time.Time                                                  // for the cache and pool idle times; tests replace it
	dialContext func(ctx context.Context, network, addr string) (net.Conn, error) // tests wrap it
	closed      atomic.Bool
	stats       struct {
		dials, searches, serviceBinds, userBinds, cacheHits, failovers atomic.Uint64
	}
}

var _ directory.Directory = (*Directory)(nil)

// Stats are cumulative operation counters (for benchmarks and metrics).
// Dials counts TCP connections opened; Searches search requests sent
// (user and group searches); ServiceBinds and UserBinds bind requests sent
// (a request retried after a stale connection counts twice); CacheHits
// entries served from the cache; Failovers failed connection attempts
// after which another URL was tried.
type Stats struct {
	Dials, Searches, ServiceBinds, UserBinds, CacheHits, Failovers uint64
}

// errClosed is returned after Close.
var errClosed = errors.New("ldap: directory is closed")

// New validates cfg (every problem at once, joined; never a secret) and
// returns a Directory. It reads CAFile but does not dial. It logs a Warn
// line when InsecureSkipVerify is set.
func New(cfg Config) (*Directory, error) {
	cfg = cfg.withDefaults()
	errs := cfg.validate()
	targets, terrs := cfg.targets()
	if errs = append(errs, terrs...); len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	d := &Directory{
		cfg:       cfg,
		log:       cfg.Logger.With("component", "ldap"),
		targets:   targets,
		userAttrs: cfg.userAttributes(),
		service:   newPool(true, cfg.PoolSize),
		binds:     newPool(false, cfg.PoolSize),
		cache:     newCache(cfg.CacheTTL),
		now:       time.Now,
	}
	d.dialContext = (&net.Dialer{}).DialContext
	if cfg.InsecureSkipVerify {
		d.log.Warn("ldap TLS certificate verification is disabled (InsecureSkipVerify)", "urls", cfg.URLs)
	}
	return d, nil
}

// begin starts a call, or fails when d is closed or ctx done.
func (d *Directory) begin(ctx context.Context) (*call, error) {
	if d.closed.Load() {
		return nil, errClosed
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("ldap: %w", err)
	}
	return &call{ctx: ctx, failed: make([]bool, len(d.targets))}, nil
}

// Authenticate checks username's password by search-then-bind with
// exactly one user bind. An empty password or a name that is empty, over
// 256 bytes, not UTF-8 or holding NUL gives directory.ErrInvalidCredentials
// before any LDAP traffic, as do an unknown, ambiguous or wrong login. An
// AD account with ACCOUNTDISABLE set, or whose bind AD refuses with a
// sub-code such as 533 or 775, gives directory.ErrDisabled. Any other
// error is a backend failure naming the server; it wraps ctx.Err() when
// ctx ended first (each operation is bounded by ctx's deadline, or 30s).
// User.Name is username as given; User.Email and User.Mobile are the first
// values of MailAttribute and MobileAttribute, read by the user search
// itself, or "" when absent or failing directory.ValidEmail or
// directory.ValidMobile (logged at Warn, without the value).
func (d *Directory) Authenticate(ctx context.Context, username, password string) (directory.User, error) {
	if password == "" {
		return directory.User{}, directory.ErrInvalidCredentials
	}
	c, e, err := d.resolve(ctx, username, directory.ErrInvalidCredentials)
	if err != nil {
		return directory.User{}, err
	}
	if err := d.bind(c, username, e.dn, password); err != nil {
		d.cache.forget(username)
		return directory.User{}, err
	}
	return e.user(username), nil
}

// resolve checks name and finds its entry. A malformed, unknown or
// ambiguous name gives missing, a disabled account directory.ErrDisabled.
func (d *Directory) resolve(ctx context.Context, name string, missing error) (*call, entry, error) {
	if !validName(name) {
		return nil, entry{}, missing
	}
	c, err := d.begin(ctx)
	if err != nil {
		return nil, entry{}, err
	}
	e, err := d.find(c, name)
	switch {
	case errors.Is(err, errNoUser):
		return nil, entry{}, missing
	case err != nil:
		return nil, entry{}, err
	case e.disabled:
		return nil, entry{}, directory.ErrDisabled
	}
	return c, e, nil
}

// bind binds as dn on a bind connection; a refusal (LDAP result 49)
// becomes a sentinel.
func (d *Directory) bind(c *call, name, dn, password string) error {
	err := d.use(c, d.binds, "bind", func(l *goldap.Conn) error {
		d.stats.userBinds.Add(1)
		return l.Bind(dn, password)
	})
	if err == nil || !goldap.IsErrorWithCode(err, goldap.LDAPResultInvalidCredentials) {
		return err
	}
	return d.refused(name, err)
}

// refused maps a refused user bind to its sentinel and logs the reason at
// Info when AD gave a sub-code.
func (d *Directory) refused(name string, err error) error {
	code, reason, sentinel := bindRefusal(err)
	if code != "" {
		d.log.Info("ldap bind refused", "user", name, "ad_code", code, "reason", reason)
	}
	return sentinel
}

// Lookup returns the user without checking a password, with zero binds
// (besides the service bind of a new service connection). A malformed,
// unknown or ambiguous name gives directory.ErrNotFound, an AD account
// with ACCOUNTDISABLE set directory.ErrDisabled; other errors and the
// user's fields are as for Authenticate.
func (d *Directory) Lookup(ctx context.Context, username string) (directory.User, error) {
	_, e, err := d.resolve(ctx, username, directory.ErrNotFound)
	if err != nil {
		return directory.User{}, err
	}
	return e.user(username), nil
}

// user returns the directory.User for e with its own copy of the groups.
func (e entry) user(name string) directory.User {
	return directory.User{Name: name, Groups: slices.Clone(e.groups), Email: e.email, Mobile: e.mobile}
}

// Check is for `radiusd check`: it dials every URL (TLS, StartTLS as
// configured), binds as the service account and searches BaseDN once. It
// returns errors.Join of one error per failing URL, each naming it.
func (d *Directory) Check(ctx context.Context) error {
	var errs []error
	for _, t := range d.targets {
		if err := d.check(ctx, t); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (d *Directory) check(ctx context.Context, t *target) error {
	cn, err := d.dialTarget(ctx, t)
	if err != nil {
		return err
	}
	if err := d.serviceBind(ctx, cn); err != nil {
		return err
	}
	defer cn.close()
	return cn.do(ctx, "search of BaseDN", func(l *goldap.Conn) error {
		d.stats.searches.Add(1)
		_, err := l.Search(goldap.NewSearchRequest(d.cfg.BaseDN, goldap.ScopeBaseObject, goldap.NeverDerefAliases,
			1, 0, false, "(objectClass=*)", []string{"1.1"}, nil))
		return err
	})
}

// Stats returns the counters so far.
func (d *Directory) Stats() Stats {
	return Stats{
		Dials:        d.stats.dials.Load(),
		Searches:     d.stats.searches.Load(),
		ServiceBinds: d.stats.serviceBinds.Load(),
		UserBinds:    d.stats.userBinds.Load(),
		CacheHits:    d.stats.cacheHits.Load(),
		Failovers:    d.stats.failovers.Load(),
	}
}

// Close closes the idle connections; connections in use are closed when
// their call ends. Later calls fail. It always returns nil.
func (d *Directory) Close() error {
	d.closed.Store(true)
	closeAll(d.service.drain(true))
	closeAll(d.binds.drain(true))
	return nil
}
