package main

import (
	"context"
	"fmt"
	"log/slog"

	"radiusd/auth"
	"radiusd/config"
	"radiusd/directory/ldap"
	"radiusd/directory/userfile"
)

// userDirectory is a configured directory backend as serve and check use
// it: the decision logic's view, plus what the process does with it.
type userDirectory interface {
	auth.Directory
	// describe says what the directory is, for the start log line and check.
	describe() string
	// reload re-reads what SIGHUP should re-read (the users file).
	reload() error
	// check reaches the backend the way requests will (radiusd check).
	check(ctx context.Context) error
	close()
}

// newDirectory opens the configured user directory.
func newDirectory(cfg *config.Config, logger *slog.Logger) (userDirectory, error) {
	switch cfg.Directory.Backend {
	case "file":
		d, err := userfile.New(userfile.Options{
			Path:                cfg.Directory.File,
			MaxConcurrentHashes: cfg.Directory.MaxConcurrentHashes,
		}, logger)
		if err != nil {
			return nil, err
		}
		return fileDirectory{d, cfg.Directory.File}, nil
	case "ldap":
		lc := ldapConfig(cfg.Directory.LDAP, logger)
		lc.NoGroups = !needsGroups(cfg) // no group search when nothing uses groups
		d, err := ldap.New(lc)
		if err != nil {
			return nil, err
		}
		return ldapDirectory{d, cfg.Directory.LDAP}, nil
	}
	return nil, fmt.Errorf("directory backend %q is not supported", cfg.Directory.Backend)
}

// ldapConfig maps the ldap section onto the driver's options.
func ldapConfig(l config.LDAP, logger *slog.Logger) ldap.Config {
	return ldap.Config{
		URLs:               l.URLs,
		StartTLS:           l.StartTLS,
		CAFile:             l.CAFile,
		InsecureSkipVerify: l.InsecureSkipVerify,
		ServerName:         l.ServerName,
		BindDN:             l.BindDN,
		BindPassword:       l.BindPassword.Value(),
		BaseDN:             l.BaseDN,
		UserFilter:         l.UserFilter,
		Flavor:             ldap.Flavor(l.Flavor),
		Groups:             ldap.GroupSearch(l.Groups.Search),
		GroupBaseDN:        l.Groups.BaseDN,
		GroupNameAttribute: l.Groups.NameAttribute,
		ConnectTimeout:     l.ConnectTimeout,
		PoolSize:           l.PoolSize,
		MailAttribute:      l.MailAttribute,
		MobileAttribute:    l.MobileAttribute,
		CacheTTL:           l.CacheTTL,
		Logger:             logger,
	}
}

type fileDirectory struct {
	*userfile.Directory
	path string
}

func (d fileDirectory) describe() string {
	return fmt.Sprintf("users file %s with %d users", d.path, d.Len())
}
func (d fileDirectory) reload() error               { return d.Reload() }
func (d fileDirectory) check(context.Context) error { return nil } // New has read and checked the file
func (d fileDirectory) close()                      {}

type ldapDirectory struct {
	*ldap.Directory
	cfg config.LDAP
}

func (d ldapDirectory) describe() string {
	return fmt.Sprintf("%s directory at %v, base %s", d.cfg.Flavor, d.cfg.URLs, d.cfg.BaseDN)
}
func (d ldapDirectory) reload() error                   { return nil } // nothing is loaded: every request asks the server
func (d ldapDirectory) check(ctx context.Context) error { return d.Check(ctx) }
func (d ldapDirectory) close()                          { d.Close() }
