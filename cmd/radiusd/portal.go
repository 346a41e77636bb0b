package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"radiusd/auth"
	"radiusd/config"
	"radiusd/portal"
)

// certificate holds the portal's TLS certificate; SIGHUP reloads it, so a
// renewed certificate needs no restart.
type certificate struct {
	certFile, keyFile string
	current           atomic.Pointer[tls.Certificate]
}

func (c *certificate) load() error {
	cert, err := tls.LoadX509KeyPair(c.certFile, c.keyFile)
	if err != nil {
		return fmt.Errorf("portal: certificate: %w", err)
	}
	c.current.Store(&cert)
	return nil
}

func (c *certificate) get(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	return c.current.Load(), nil
}

// startPortal serves the portal on cfg.Portal.Listen until ctx ends. It
// returns the certificate to reload on SIGHUP (nil without TLS).
func startPortal(ctx context.Context, cfg *config.Config, a *auth.Authenticator, b *backend, m *metrics, logger *slog.Logger) (*certificate, error) {
	pc := cfg.Portal
	acc, err := newAccounts(cfg, b)
	if err != nil {
		return nil, err
	}
	p, err := portal.New(portal.Options{
		Issuer: cfg.TOTP.Issuer, AdminGroups: pc.AdminGroups, SessionIdle: pc.SessionIdle, SessionMax: pc.SessionMax,
		SigninPerMinute: pc.SigninPerMinute, TrustedProxies: pc.Proxies, Observer: m,
	}, a, acc, b.store, logger)
	if err != nil {
		return nil, err
	}
	srv := &http.Server{
		Handler: p.Handler(), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 32 << 10,
		ErrorLog: slog.NewLogLogger(logger.With("component", "portal").Handler(), slog.LevelDebug),
	}
	var cert *certificate
	if !pc.PlainHTTP() {
		cert = &certificate{certFile: pc.TLSCertFile, keyFile: pc.TLSKeyFile}
		if err := cert.load(); err != nil {
			return nil, err
		}
		srv.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: cert.get}
	}
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", pc.Listen)
	if err != nil {
		return nil, fmt.Errorf("portal: %w", err)
	}
	go runPortal(ctx, srv, ln, cert != nil, logger)
	logger.Info("portal listening", "addr", ln.Addr().String(), "tls", cert != nil, "behind_tls_proxy", pc.BehindTLSProxy)
	return cert, nil
}

// runPortal serves until ctx ends, then lets requests in flight finish.
func runPortal(ctx context.Context, srv *http.Server, ln net.Listener, tlsOn bool, logger *slog.Logger) {
	go func() {
		<-ctx.Done()
		shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shut)
	}()
	var err error
	if tlsOn {
		err = srv.ServeTLS(ln, "", "")
	} else {
		err = srv.Serve(ln)
	}
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		logger.Error("portal stopped", "err", err)
	}
}

// certExpiryWarning is how long before its end a portal certificate draws
// a warning from check.
const certExpiryWarning = 14 * 24 * time.Hour

// checkPortal reports what serve would do with the portal: the address,
// and for HTTPS whether the certificate and key load and how long the
// certificate stays valid.
func (r *checkReport) checkPortal(cfg *config.Config, now time.Time) {
	pc := cfg.Portal
	if !pc.Enabled() {
		return
	}
	if pc.PlainHTTP() {
		r.Notes = append(r.Notes, fmt.Sprintf("portal: plain HTTP on %s (behind_tls_proxy %v)", pc.Listen, pc.BehindTLSProxy))
		return
	}
	c := &certificate{certFile: pc.TLSCertFile, keyFile: pc.TLSKeyFile}
	if err := c.load(); err != nil {
		r.Problems = append(r.Problems, err.Error())
		return
	}
	leaf := c.current.Load().Leaf
	until := leaf.NotAfter.UTC().Format(time.RFC3339)
	switch {
	case now.After(leaf.NotAfter):
		r.Problems = append(r.Problems, "portal: certificate "+pc.TLSCertFile+" expired at "+until)
		return
	case now.Add(certExpiryWarning).After(leaf.NotAfter):
		r.Warnings = append(r.Warnings, "portal: certificate "+pc.TLSCertFile+" expires at "+until)
	}
	names := append(append([]string{}, leaf.DNSNames...), ipStrings(leaf.IPAddresses)...)
	r.Notes = append(r.Notes, fmt.Sprintf("portal: HTTPS on %s, certificate for %s valid until %s", pc.Listen, strings.Join(names, ", "), until))
}

func ipStrings(ips []net.IP) []string {
	out := make([]string, 0, len(ips))
	for _, ip := range ips {
		out = append(out, ip.String())
	}
	return out
}
