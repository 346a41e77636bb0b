package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"time"

	"radiusd/auth"
	"radiusd/config"
	"radiusd/otp"
	"radiusd/radiussrv"
	"radiusd/secret"
	"radiusd/store"
	"radiusd/store/pgstore"
	"radiusd/store/sqlstore"
)

// Purposes of the keys derived from the master key file.
const (
	purposeRecovery    = "recovery-code-digest"
	purposeFingerprint = "failed-code-fingerprint"
)

// newLogger builds the one logger of the process, writing to w.
func newLogger(c config.Log, w io.Writer) *slog.Logger {
	level := map[string]slog.Level{"debug": slog.LevelDebug, "warn": slog.LevelWarn, "error": slog.LevelError}[c.Level]
	opts := &slog.HandlerOptions{Level: level}
	if c.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// storeDriver is what radiusd needs of a store driver: the contract,
// copying between stores, and counts for metrics.
type storeDriver interface {
	store.Store
	store.Copier
	CountByState(ctx context.Context) (map[store.State]int, error)
}

// backend is the store with the keys derived from its master key.
type backend struct {
	store       storeDriver
	recovery    []byte
	fingerprint []byte
	messageCode []byte
}

// openBackend loads (or creates) the key file and opens the store.
func openBackend(ctx context.Context, cfg *config.Config) (*backend, error) {
	key, err := store.LoadOrCreateKey(cfg.Store.KeyFile)
	if err != nil {
		return nil, err
	}
	st, err := openStore(ctx, cfg.Store, key)
	if err != nil {
		return nil, err
	}
	return &backend{
		store:       st,
		recovery:    store.DeriveKey(key, purposeRecovery),
		fingerprint: store.DeriveKey(key, purposeFingerprint),
		messageCode: store.DeriveKey(key, purposeMessageCode),
	}, nil
}

// openStore opens the configured driver with the master key.
func openStore(ctx context.Context, c config.Store, key secret.Value) (storeDriver, error) {
	if c.Driver == "postgres" {
		return pgstore.Open(ctx, pgstore.Options{
			DSN:              string(c.ConnString.Value().Bytes()),
			Key:              key,
			MaxConns:         c.PoolSize,
			StatementTimeout: c.StatementTimeout,
			Synchronous:      c.Synchronous,
		})
	}
	return sqlstore.Open(ctx, sqlstore.Options{
		Path:        c.Path,
		Key:         key,
		Synchronous: c.Synchronous,
		BusyTimeout: 5 * time.Second,
	})
}

func nameRules(cfg *config.Config) auth.NameRules {
	return auth.NameRules{
		Lowercase:    cfg.Usernames.Lowercase,
		StripDomains: cfg.Usernames.StripDomains,
		StripRealms:  cfg.Usernames.StripRealms,
	}
}

func totpParams(cfg *config.Config) otp.Params {
	return otp.Params{Digits: cfg.TOTP.Digits, Period: cfg.TOTP.Period, Algorithm: cfg.TOTP.Algorithm}
}

// newAuthenticator maps the config onto the decision logic.
func newAuthenticator(cfg *config.Config, dir auth.Directory, st auth.Store, b *backend, senders map[store.Method]auth.Sender, logger *slog.Logger) (*auth.Authenticator, error) {
	return auth.New(auth.Options{
		Names:            nameRules(cfg),
		Enforce:          auth.Enforcement(cfg.Policy.Enforce),
		Groups:           cfg.Policy.Groups,
		EnrollURL:        cfg.Policy.EnrollURL,
		GracePeriod:      cfg.Policy.GracePeriod,
		Skew:             cfg.TOTP.Skew,
		MaxDrift:         cfg.TOTP.MaxDrift,
		MaxFailures:      cfg.Lockout.MaxFailures,
		LockFor:          cfg.Lockout.Duration,
		ChallengeTimeout: cfg.Challenge.Timeout,
		ChallengePrompt:  cfg.Challenge.Prompt,
		RecoveryKey:      b.recovery,
		FingerprintKey:   b.fingerprint,
		Messages:         messageOptions(cfg, b, senders),
	}, dir, st, logger)
}

// newAccounts maps the config onto enrolment management.
func newAccounts(cfg *config.Config, b *backend) (*auth.Accounts, error) {
	return auth.NewAccounts(auth.AccountOptions{
		Names:         nameRules(cfg),
		Issuer:        cfg.TOTP.Issuer,
		Params:        totpParams(cfg),
		Skew:          cfg.TOTP.Skew,
		RecoveryCount: cfg.RecoveryCodes.Count,
		RecoveryKey:   b.recovery,
	}, b.store)
}

// radiusClients maps the configured clients onto the front end's.
func radiusClients(cfg *config.Config) ([]radiussrv.Client, error) {
	clients := make([]radiussrv.Client, 0, len(cfg.Clients))
	for _, c := range cfg.Clients {
		mode, err := auth.ParseMode(c.Mode)
		if err != nil {
			return nil, fmt.Errorf("client %s: mode %w", c.Name, err)
		}
		clients = append(clients, radiussrv.Client{
			Name:                        c.Name,
			Networks:                    c.Prefixes,
			Secret:                      c.SharedSecret.Value(),
			Mode:                        mode,
			Separator:                   c.Separator,
			RequireMessageAuthenticator: c.RequiresMessageAuthenticator(),
			Replies:                     groupReplies(cfg.Replies, c.Name),
		})
	}
	return clients, nil
}

// groupReplies returns the reply rules that apply to the named client.
func groupReplies(replies []config.Reply, client string) []radiussrv.GroupReply {
	var out []radiussrv.GroupReply
	for _, r := range replies {
		if len(r.Clients) > 0 && !slices.Contains(r.Clients, client) {
			continue
		}
		g := radiussrv.GroupReply{Group: r.Group}
		for _, a := range r.Attributes {
			g.Attributes = append(g.Attributes, radiussrv.Attribute{VendorID: a.VendorID, Type: a.AttrType, Value: a.Encoded})
		}
		out = append(out, g)
	}
	return out
}

// authPolicy maps the policy section onto the decision logic's.
func authPolicy(cfg *config.Config) auth.Policy {
	p := cfg.Policy
	return auth.Policy{Enforce: auth.Enforcement(p.Enforce), Groups: p.Groups, EnrollURL: p.EnrollURL, GracePeriod: p.GracePeriod}
}

// needsGroups reports whether anything in cfg uses the users' groups.
func needsGroups(cfg *config.Config) bool {
	return cfg.Policy.Enforce == "groups" || len(cfg.Replies) > 0 || len(cfg.Portal.AdminGroups) > 0
}
