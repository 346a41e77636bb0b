package main

import (
	"strings"
	"testing"
	"time"

	"radiusd/config"
	"radiusd/internal/testcert"
)

func TestCheckPortal(t *testing.T) {
	files, err := testcert.Write(t.TempDir(), "vpn.example.org", "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		portal     config.Portal
		now        time.Time
		note, warn string
		problem    string
	}{
		{name: "off"},
		{name: "plain", portal: config.Portal{Listen: "127.0.0.1:8080"}, note: "portal: plain HTTP on 127.0.0.1:8080"},
		{name: "https", portal: config.Portal{Listen: "0.0.0.0:8443", TLSCertFile: files.Cert, TLSKeyFile: files.Key}, now: time.Now().Add(-30 * 24 * time.Hour),
			note: "portal: HTTPS on 0.0.0.0:8443, certificate for vpn.example.org, 127.0.0.1 valid until"},
		{name: "expires soon", portal: config.Portal{Listen: "0.0.0.0:8443", TLSCertFile: files.Cert, TLSKeyFile: files.Key},
			now: time.Now(), note: "portal: HTTPS", warn: "portal: certificate " + files.Cert + " expires at"}, // testcert: a week

		{name: "expired", portal: config.Portal{Listen: "0.0.0.0:8443", TLSCertFile: files.Cert, TLSKeyFile: files.Key},
			now: time.Now().Add(8 * 24 * time.Hour), problem: "portal: certificate " + files.Cert + " expired at"},
		{name: "key is not a key", portal: config.Portal{Listen: "0.0.0.0:8443", TLSCertFile: files.Cert, TLSKeyFile: files.Cert},
			problem: "portal: certificate: tls:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r checkReport
			r.checkPortal(&config.Config{Portal: tt.portal}, tt.now)
			for _, c := range []struct {
				got  []string
				want string
			}{{r.Notes, tt.note}, {r.Warnings, tt.warn}, {r.Problems, tt.problem}} {
				if c.want == "" && len(c.got) > 0 {
					t.Errorf("unexpected %q", c.got)
				}
				if c.want != "" && (len(c.got) != 1 || !strings.HasPrefix(c.got[0], c.want)) {
					t.Errorf("got %q, want one starting with %q", c.got, c.want)
				}
			}
		})
	}
}
