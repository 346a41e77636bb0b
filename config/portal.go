package config

import (
	"fmt"
	"net/netip"
	"strings"
	"time"
)

// Portal configures the self-service enrollment portal and admin pages
// (PRODUCT.md §8).
type Portal struct {
	// Listen is the TCP host:port of the portal; "" (the default) serves none.
	Listen string `yaml:"listen"`
	// TLSCertFile and TLSKeyFile hold the PEM certificate chain and key.
	// They are required unless Listen is a loopback address or
	// BehindTLSProxy is set.
	TLSCertFile string `yaml:"tls_cert_file"`
	TLSKeyFile  string `yaml:"tls_key_file"`
	// BehindTLSProxy serves plain HTTP to a reverse proxy that terminates
	// TLS; the cookies stay Secure.
	BehindTLSProxy bool `yaml:"behind_tls_proxy"`
	// TrustedProxies are the networks whose X-Forwarded-For header names
	// the client address (used only with BehindTLSProxy).
	TrustedProxies []string `yaml:"trusted_proxies"`
	// AdminGroups are the directory groups whose members may use the admin
	// pages, once signed in with their own second factor.
	AdminGroups []string `yaml:"admin_groups"`
	// SessionIdle ends a session after this long without a request.
	SessionIdle time.Duration `yaml:"session_idle"`
	// SessionMax ends a session this long after sign-in, however active.
	SessionMax time.Duration `yaml:"session_max"`
	// SigninPerMinute bounds sign-in attempts per client address.
	SigninPerMinute int `yaml:"signin_per_minute"`
	// Proxies is TrustedProxies parsed; set by Parse.
	Proxies []netip.Prefix `yaml:"-"`
}

// Enabled reports whether the portal is served.
func (p Portal) Enabled() bool { return p.Listen != "" }

// PlainHTTP reports whether the portal serves HTTP without TLS: on a
// loopback address without a certificate, or behind a TLS proxy.
func (p Portal) PlainHTTP() bool { return p.TLSCertFile == "" }

// Portal defaults.
const (
	DefaultSessionIdle     = 15 * time.Minute
	DefaultSessionMax      = 8 * time.Hour
	DefaultSigninPerMinute = 10
)

func (c *Config) validatePortal(p *problems) {
	pt := c.Portal
	if !pt.Enabled() {
		return
	}
	ap, err := netip.ParseAddrPort(pt.Listen)
	if err != nil {
		p.add("portal.listen", "%q is not an IP address and port such as 127.0.0.1:8443", pt.Listen)
	}
	if (pt.TLSCertFile == "") != (pt.TLSKeyFile == "") {
		p.add("portal", "tls_cert_file and tls_key_file go together")
	}
	if pt.PlainHTTP() && err == nil && !ap.Addr().IsLoopback() && !pt.BehindTLSProxy {
		p.add("portal.listen", "%s is not a loopback address: set tls_cert_file and tls_key_file, or behind_tls_proxy: true behind a TLS reverse proxy", pt.Listen)
	}
	if len(pt.TrustedProxies) > 0 && !pt.BehindTLSProxy {
		p.add("portal.trusted_proxies", "needs behind_tls_proxy: true")
	}
	for i, s := range pt.TrustedProxies {
		if _, err := parseNetwork(s); err != nil {
			p.add(fmt.Sprintf("portal.trusted_proxies[%d]", i), "%q is not an address or network such as 10.0.0.0/8", s)
		}
	}
	for i, g := range pt.AdminGroups {
		if strings.TrimSpace(g) == "" || hasControl(g) {
			p.add(fmt.Sprintf("portal.admin_groups[%d]", i), "must be a group name")
		}
	}
	p.durationBetween("portal.session_idle", pt.SessionIdle, time.Minute, 24*time.Hour, "1m and 24h")
	p.durationBetween("portal.session_max", pt.SessionMax, time.Minute, 7*24*time.Hour, "1m and 168h")
	if pt.SessionIdle > pt.SessionMax {
		p.add("portal.session_idle", "%s is longer than portal.session_max (%s)", pt.SessionIdle, pt.SessionMax)
	}
	p.between("portal.signin_per_minute", pt.SigninPerMinute, 1, 1000)
}

// resolvePortal parses the trusted proxy networks; it runs after Validate.
func (c *Config) resolvePortal() {
	c.Portal.Proxies = nil
	for _, s := range c.Portal.TrustedProxies {
		if pfx, err := parseNetwork(s); err == nil {
			c.Portal.Proxies = append(c.Portal.Proxies, pfx.Masked())
		}
	}
}
