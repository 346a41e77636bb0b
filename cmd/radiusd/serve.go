package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"runtime/debug"
	"sync"
	"syscall"

	"radiusd/auth"
	"radiusd/config"
	"radiusd/radiussrv"
)

func cmdServe(ctx context.Context, args []string, s streams) int {
	c := newCommand("serve", "serve [--config FILE]", false, s)
	if _, code, ok := c.parse(args, 0, s); !ok {
		return code
	}
	cfg, err := config.Load(c.config)
	if err != nil {
		return fail(s.err, "%s:\n%s", c.config, indent(err.Error()))
	}
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
	lw := newLogWriter(s.err)
	defer lw.Close()
	logger := newLogger(cfg.Log, lw)
	for _, w := range cfg.Warnings() {
		logger.Warn("config: " + w)
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := serve(ctx, c.config, cfg, logger); err != nil {
		logger.Error("radiusd stopped", "err", err)
		return exitFailure
	}
	logger.Info("radiusd stopped")
	return exitOK
}

// gcPercent is the garbage collector's target for serve unless GOGC is
// set: twice Go's default heap growth, for some 10% less CPU per request
// on the LDAP path at a cost of a few MiB (docs/performance.md).
const gcPercent = 200

// serve wires the server from cfg and runs it until ctx ends.
func serve(ctx context.Context, path string, cfg *config.Config, logger *slog.Logger) error {
	b, err := openBackend(ctx, cfg)
	if err != nil {
		return err
	}
	defer b.store.Close()
	dir, err := newDirectory(cfg, logger)
	if err != nil {
		return err
	}
	defer dir.close()
	m := newMetrics()
	senders, err := messageSenders(cfg, m.codesSent)
	if err != nil {
		return err
	}
	a, err := newAuthenticator(cfg, timedDirectory{dir, m}, timedStore{b.store, m}, b, senders, logger)
	if err != nil {
		return err
	}
	m.watch(b.store, a)
	clients, err := radiusClients(cfg)
	if err != nil {
		return err
	}
	srv, err := radiussrv.New(radiussrv.Options{
		Clients:        clients,
		RequestTimeout: cfg.RADIUS.RequestTimeout,
		DuplicateTTL:   cfg.RADIUS.DuplicateTTL,
		Observer:       m,
	}, a, logger)
	if err != nil {
		return err
	}
	conns, err := listen(ctx, cfg.Listen)
	if err != nil {
		return err
	}
	if err := startMetrics(ctx, cfg.Metrics.Listen, m, b, dir, logger); err != nil {
		return err
	}
	var cert *certificate
	if cfg.Portal.Enabled() {
		if cert, err = startPortal(ctx, cfg, a, b, m, logger); err != nil {
			return err
		}
	}
	r := &reloader{path: path, srv: srv, auth: a, dir: dir, cert: cert, log: logger,
		groups: cfg.Directory.Backend != "ldap" || needsGroups(cfg)}
	go r.run(ctx)
	logger.Info("radiusd started", "version", version(), "listen", cfg.Listen, "clients", len(clients), "directory", dir.describe())
	return serveAll(ctx, srv, conns)
}

// listen opens one UDP socket per configured address.
func listen(ctx context.Context, addrs []string) ([]net.PacketConn, error) {
	var lc net.ListenConfig
	conns := make([]net.PacketConn, 0, len(addrs))
	for _, addr := range addrs {
		conn, err := lc.ListenPacket(ctx, "udp", addr)
		if err != nil {
			for _, c := range conns {
				c.Close()
			}
			return nil, fmt.Errorf("listen %s: %w", addr, err)
		}
		conns = append(conns, conn)
	}
	return conns, nil
}

// serveAll serves every socket until ctx ends and returns the first error.
func serveAll(ctx context.Context, srv *radiussrv.Server, conns []net.PacketConn) error {
	var wg sync.WaitGroup
	errs := make([]error, len(conns))
	for i, conn := range conns {
		wg.Go(func() { errs[i] = srv.Serve(ctx, conn) })
	}
	wg.Wait()
	return errors.Join(errs...)
}

// reloader re-reads, on SIGHUP, the users file and the configuration's
// clients (secrets and reply rules included) and policy.
type reloader struct {
	path   string
	srv    *radiussrv.Server
	auth   *auth.Authenticator
	dir    userDirectory
	groups bool         // the directory looks groups up (an ldap one started without needing them does not)
	cert   *certificate // the portal's TLS certificate; nil without one
	log    *slog.Logger
}

// run reloads on every SIGHUP until ctx ends.
func (r *reloader) run(ctx context.Context) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
		}
		if err := r.dir.reload(); err != nil { // a successful reload logs itself
			r.log.Error("reload users file refused; keeping the running set", "err", err)
		}
		if r.cert != nil {
			if err := r.cert.load(); err != nil {
				r.log.Error("reload portal certificate refused; keeping the running one", "err", err)
			}
		}
		if err := r.reloadConfig(); err != nil {
			r.log.Error("reload configuration refused; keeping the running clients and policy", "err", err)
		} else {
			r.log.Info("configuration reloaded: clients, reply rules and policy")
		}
	}
}

// reloadConfig applies the clients and the policy of the configuration
// file, or neither when either cannot be applied.
func (r *reloader) reloadConfig() error {
	cfg, err := config.Load(r.path)
	if err != nil {
		return err
	}
	clients, err := radiusClients(cfg)
	if err != nil {
		return err
	}
	if needsGroups(cfg) && !r.groups {
		return errors.New("policy.enforce: groups and replies need the directory's groups, which it was started without: restart radiusd")
	}
	if err := r.srv.SetClients(clients); err != nil {
		return err
	}
	return r.auth.SetPolicy(authPolicy(cfg))
}

// startMetrics listens on addr ("" = no metrics) and serves the metrics
// and the health endpoints there until ctx ends.
func startMetrics(ctx context.Context, addr string, m *metrics, b *backend, dir userDirectory, logger *slog.Logger) error {
	if addr == "" {
		return nil
	}
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("metrics: %w", err)
	}
	ready := func(ctx context.Context) error {
		if err := b.store.Ping(ctx); err != nil {
			return err
		}
		return dir.check(ctx)
	}
	go func() {
		if err := serveMetrics(ctx, ln, m, ready); err != nil {
			logger.Error("metrics endpoint stopped", "err", err)
		}
	}()
	logger.Info("metrics listening", "addr", ln.Addr().String())
	return nil
}
