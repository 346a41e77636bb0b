package config

import (
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestPortalParsed(t *testing.T) {
	cfg, err := Parse([]byte(merge(t, minimal, `portal:
  listen: "0.0.0.0:8443"
  tls_cert_file: tls/cert.pem
  tls_key_file: tls/key.pem
  admin_groups: [radius-admins]
  session_idle: 10m
`)), "/etc/radiusd")
	if err != nil {
		t.Fatal(err)
	}
	p := cfg.Portal
	if !p.Enabled() || p.PlainHTTP() || p.TLSCertFile != "/etc/radiusd/tls/cert.pem" || p.SessionIdle != 10*time.Minute ||
		p.SessionMax != DefaultSessionMax || p.SigninPerMinute != DefaultSigninPerMinute {
		t.Errorf("portal = %+v", p)
	}
	if w := cfg.Warnings(); slices.ContainsFunc(w, func(s string) bool { return strings.HasPrefix(s, "policy.enroll_url") }) == (cfg.Policy.EnrollURL != "") {
		t.Errorf("enroll_url warning: %q (enroll_url %q)", w, cfg.Policy.EnrollURL)
	}
	proxied, err := Parse([]byte(merge(t, minimal, `portal: {listen: "10.0.0.5:8080", behind_tls_proxy: true, trusted_proxies: [10.0.0.1, "fd00::/64"]}`)), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	want := []netip.Prefix{netip.MustParsePrefix("10.0.0.1/32"), netip.MustParsePrefix("fd00::/64")}
	if !slices.Equal(proxied.Portal.Proxies, want) || !proxied.Portal.PlainHTTP() {
		t.Errorf("proxies = %v", proxied.Portal.Proxies)
	}
}

func TestPortalInvalid(t *testing.T) {
	tests := []struct{ name, portal, want string }{
		{"listen", `{listen: ":8443"}`, `portal.listen: ":8443" is not an IP address and port`},
		{"plain http off loopback", `{listen: "0.0.0.0:8080"}`, "portal.listen: 0.0.0.0:8080 is not a loopback address: set tls_cert_file"},
		{"cert without key", `{listen: "0.0.0.0:8443", tls_cert_file: c.pem}`, "portal: tls_cert_file and tls_key_file go together"},
		{"proxies without proxy mode", `{listen: "127.0.0.1:8080", trusted_proxies: [10.0.0.1]}`, "portal.trusted_proxies: needs behind_tls_proxy: true"},
		{"bad proxy", `{listen: "127.0.0.1:8080", behind_tls_proxy: true, trusted_proxies: [nope]}`, `portal.trusted_proxies[0]: "nope" is not an address`},
		{"blank admin group", `{listen: "127.0.0.1:8080", admin_groups: [" "]}`, "portal.admin_groups[0]: must be a group name"},
		{"idle", `{listen: "127.0.0.1:8080", session_idle: 10s}`, "portal.session_idle: 10s is not between 1m and 24h"},
		{"idle over max", `{listen: "127.0.0.1:8080", session_idle: 2h, session_max: 1h}`, "portal.session_idle: 2h0m0s is longer than portal.session_max (1h0m0s)"},
		{"rate", `{listen: "127.0.0.1:8080", signin_per_minute: 0}`, "portal.signin_per_minute: 0 is not between 1 and 1000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(merge(t, minimal, "portal: "+tt.portal)), t.TempDir())
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}
