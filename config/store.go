package config

import (
	"net"
	"net/url"
	"strings"
)

// storeWarnings flags PostgreSQL settings that weaken security: a password
// written inline in the config, and a connection to another host whose
// server certificate is not verified.
func (c *Config) storeWarnings() []string {
	s := c.Store
	if s.Driver != "postgres" || s.ConnString.IsZero() {
		return nil
	}
	d := parseDSN(string(s.ConnString.Value().Bytes()))
	var w []string
	if d.password && !s.DSN.IsZero() {
		w = append(w, "store.dsn: holds a password; move it to store.dsn_file (mode 0640, root:radiusd)")
	}
	if !d.local() && d.sslmode != "verify-full" && d.sslmode != "verify-ca" {
		mode := d.sslmode
		if mode == "" {
			mode = "prefer (the default)"
		}
		w = append(w, "store: the PostgreSQL connection's sslmode is "+mode+
			"; use sslmode=verify-full with sslrootcert so that the server's certificate is checked")
	}
	return w
}

// dsnSettings are the parts of a PostgreSQL connection string the warnings
// look at.
type dsnSettings struct {
	hosts    []string
	sslmode  string
	password bool
}

// local reports whether every host is a Unix socket directory or a
// loopback address (no host at all means the default socket).
func (d dsnSettings) local() bool {
	for _, h := range d.hosts {
		if strings.HasPrefix(h, "/") || h == "localhost" {
			continue
		}
		if ip := net.ParseIP(strings.Trim(h, "[]")); ip == nil || !ip.IsLoopback() {
			return false
		}
	}
	return true
}

// parseDSN reads a URL ("postgres://…") or key=value connection string.
// It only reads; pgx parses the string for real and reports its errors.
func parseDSN(dsn string) dsnSettings {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			return dsnSettings{hosts: []string{"?"}}
		}
		_, pw := u.User.Password()
		d := dsnSettings{sslmode: u.Query().Get("sslmode"), password: pw || u.Query().Has("password")}
		for _, hp := range strings.Split(u.Host, ",") {
			if h := hostOf(hp); h != "" {
				d.hosts = append(d.hosts, h)
			}
		}
		if h := u.Query().Get("host"); h != "" {
			d.hosts = append(d.hosts, strings.Split(h, ",")...)
		}
		return d
	}
	var d dsnSettings
	for _, field := range strings.Fields(dsn) {
		key, value, _ := strings.Cut(field, "=")
		value = strings.Trim(value, "'")
		switch key {
		case "host", "hostaddr":
			d.hosts = append(d.hosts, strings.Split(value, ",")...)
		case "sslmode":
			d.sslmode = value
		case "password":
			d.password = true
		}
	}
	return d
}

// hostOf strips the port from "host:port" or "[v6]:port".
func hostOf(hostPort string) string {
	if h, _, err := net.SplitHostPort(hostPort); err == nil {
		return h
	}
	return strings.Trim(hostPort, "[]")
}
