package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"sync"
	"syscall"

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
	a, err := newAuthenticator(cfg, dir, b, logger)
	if err != nil {
		return err
	}
	clients, err := radiusClients(cfg)
	if err != nil {
		return err
	}
	srv, err := radiussrv.New(radiussrv.Options{
		Clients:        clients,
		RequestTimeout: cfg.RADIUS.RequestTimeout,
		DuplicateTTL:   cfg.RADIUS.DuplicateTTL,
	}, a, logger)
	if err != nil {
		return err
	}
	conns, err := listen(ctx, cfg.Listen)
	if err != nil {
		return err
	}
	go reloadOnHangup(ctx, path, srv, dir, logger)
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

// reloadOnHangup re-reads the users file and the clients on SIGHUP. A
// broken file or config is refused and the running set kept.
func reloadOnHangup(ctx context.Context, path string, srv *radiussrv.Server, dir userDirectory, logger *slog.Logger) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
		}
		if err := dir.reload(); err != nil { // a successful reload logs itself
			logger.Error("reload users file refused; keeping the running set", "err", err)
		}
		if err := reloadClients(path, srv); err != nil {
			logger.Error("reload clients refused; keeping the running set", "err", err)
		} else {
			logger.Info("clients reloaded")
		}
	}
}

func reloadClients(path string, srv *radiussrv.Server) error {
	cfg, err := config.Load(path)
	if err != nil {
		return err
	}
	clients, err := radiusClients(cfg)
	if err != nil {
		return err
	}
	return srv.SetClients(clients)
}
