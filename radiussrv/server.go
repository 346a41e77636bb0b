package radiussrv

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"sync/atomic"
	"time"

	"radiusd/auth"
	"radiusd/secret"
)

// Defaults applied by New to zero Options fields.
const (
	DefaultRequestTimeout   = 2 * time.Second
	DefaultDuplicateTTL     = 30 * time.Second
	DefaultMaxInFlight      = 4096
	DefaultDuplicateEntries = 100_000
)

// ErrInvalidOptions is wrapped by every error New and SetClients return for
// a bad Options or Client value.
var ErrInvalidOptions = errors.New("radiussrv: invalid options")

// Authenticator decides one PAP Access-Request. It is called concurrently
// from many goroutines. ctx carries the per-request deadline
// (Options.RequestTimeout); an implementation must give up when it ends.
// Any error, and any Result other than auth.Accept or auth.Challenge, makes
// the server answer Access-Reject. req.Password is secret: an
// implementation must not log it, keep it or put it into an error.
type Authenticator interface {
	Authenticate(ctx context.Context, req auth.Request) (auth.Decision, error)
}

// Client is one RADIUS client (NAS) allowed to send requests.
type Client struct {
	Name     string         // configured name, for logs and auth.Request.Client
	Networks []netip.Prefix // source networks; the most specific prefix of all clients wins
	Secret   secret.Value   // shared secret; must not be empty
	Mode     auth.Mode      // how users present their second factor; "" means auth.ModePasswordOTP
	// Separator is the optional password/code separator passed to the
	// Authenticator (password+otp and auto modes).
	Separator string
	// RequireMessageAuthenticator drops every Access-Request that carries
	// no Message-Authenticator. The zero value means false, so callers
	// must set it explicitly; the configuration default is true
	// (BlastRADIUS). When false, a request carrying Proxy-State without a
	// Message-Authenticator is still dropped.
	RequireMessageAuthenticator bool
	// Replies add attributes to the Access-Accepts of group members.
	Replies []GroupReply
}

// Options configures a Server. Zero values take the Default* constants.
type Options struct {
	Clients          []Client
	RequestTimeout   time.Duration    // budget for one decision, below the NAS retransmit time
	DuplicateTTL     time.Duration    // how long an answer is replayed to retransmissions (RFC 5080)
	MaxInFlight      int              // bound on packets handled at once by all Serve calls together
	DuplicateEntries int              // bound on duplicate-cache entries
	Now              func() time.Time // clock for the duplicate cache and log rate limits
	Observer         Observer         // told of decisions and drops (metrics); nil = none
}

// Server is a RADIUS authentication server. Its methods are safe for
// concurrent use.
type Server struct {
	opts    Options
	auth    Authenticator
	log     *slog.Logger
	clients atomic.Pointer[clientTable]
	dups    *dupCache
	stats   counters
	drops   *dropLog
	slots   chan struct{} // one per packet being handled by Serve, across all conns
}

// New validates opts, applies defaults and returns a Server that asks a
// for decisions and logs to logger (nil discards). The returned error wraps
// ErrInvalidOptions and names the offending client; it never contains a
// secret.
func New(opts Options, a Authenticator, logger *slog.Logger) (*Server, error) {
	if a == nil {
		return nil, fmt.Errorf("%w: nil Authenticator", ErrInvalidOptions)
	}
	if err := validateDurations(opts); err != nil {
		return nil, err
	}
	opts = withDefaults(opts)
	table, err := newClientTable(opts.Clients)
	if err != nil {
		return nil, err
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	logger = logger.With("component", "radiussrv")
	s := &Server{
		opts:  opts,
		auth:  a,
		log:   logger,
		dups:  newDupCache(opts.DuplicateEntries, opts.DuplicateTTL),
		drops: newDropLog(logger, opts.Now),
		slots: make(chan struct{}, opts.MaxInFlight),
	}
	s.clients.Store(table)
	return s, nil
}

// SetClients validates clients and atomically replaces the client set (for
// a configuration reload). Requests already being handled finish with the
// set they started with. On error the old set stays in force.
func (s *Server) SetClients(clients []Client) error {
	table, err := newClientTable(clients)
	if err != nil {
		return err
	}
	s.clients.Store(table)
	return nil
}

func validateDurations(opts Options) error {
	switch {
	case opts.RequestTimeout < 0:
		return fmt.Errorf("%w: negative request timeout", ErrInvalidOptions)
	case opts.DuplicateTTL < 0:
		return fmt.Errorf("%w: negative duplicate ttl", ErrInvalidOptions)
	case opts.MaxInFlight < 0:
		return fmt.Errorf("%w: negative max in flight", ErrInvalidOptions)
	case opts.DuplicateEntries < 0:
		return fmt.Errorf("%w: negative duplicate entries", ErrInvalidOptions)
	}
	return nil
}

func withDefaults(opts Options) Options {
	if opts.RequestTimeout == 0 {
		opts.RequestTimeout = DefaultRequestTimeout
	}
	if opts.DuplicateTTL == 0 {
		opts.DuplicateTTL = DefaultDuplicateTTL
	}
	if opts.MaxInFlight == 0 {
		opts.MaxInFlight = DefaultMaxInFlight
	}
	if opts.DuplicateEntries == 0 {
		opts.DuplicateEntries = DefaultDuplicateEntries
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Observer == nil {
		opts.Observer = nopObserver{}
	}
	return opts
}
