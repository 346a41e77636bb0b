package main

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestIsLoopback(t *testing.T) {
	tests := []struct {
		name string
		ip   string
		want bool
	}{
		{"ipv4", "127.0.0.1", true},
		{"ipv4 range", "127.3.2.1", true},
		{"ipv6", "::1", true},
		{"ipv4-mapped", "::ffff:127.0.0.1", true},
		{"private", "10.0.0.1", false},
		{"public", "192.0.2.1", false},
		{"unspecified", "0.0.0.0", false},
		{"ipv6 global", "2001:db8::1", false},
		{"missing", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := isLoopback(net.ParseIP(tt.ip)); got != tt.want {
				t.Fatalf("isLoopback(%q) = %v, want %v", tt.ip, got, tt.want)
			}
		})
	}
}

func TestResolveServer(t *testing.T) {
	tests := []struct {
		name      string
		addr      string
		allow     bool
		wantUsage bool
	}{
		{"loopback", "127.0.0.1:1812", false, false},
		{"ipv6 loopback", "[::1]:1812", false, false},
		{"localhost", "localhost:1812", false, false},
		{"remote refused", "192.0.2.1:1812", false, true},
		{"private refused", "10.1.2.3:1812", false, true},
		{"no host refused", ":1812", false, true},
		{"remote allowed", "192.0.2.1:1812", true, false},
		{"no port", "127.0.0.1", false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := resolveServer(tt.addr, tt.allow)
			var ue usageError
			if got := errors.As(err, &ue); got != tt.wantUsage {
				t.Fatalf("resolveServer(%q, %v) = %v; want usage error %v", tt.addr, tt.allow, err, tt.wantUsage)
			}
		})
	}
}

func TestRunUsageErrors(t *testing.T) {
	secretFile := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(secretFile, []byte("from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		want int
	}{
		{"no command", nil, 2},
		{"unknown command", []string{"frobnicate"}, 2},
		{"help", []string{"help"}, 0},
		{"run help", []string{"run", "-h"}, 0},
		{"missing secret", []string{"run"}, 2},
		{"both secrets", []string{"run", "--secret", "a", "--secret-file", secretFile}, 2},
		{"duration too long", []string{"run", "--secret", "a", "--duration", "16m"}, 2},
		{"zero duration", []string{"run", "--secret", "a", "--duration", "0s"}, 2},
		{"bad scenario", []string{"run", "--secret-file", secretFile, "--scenario", "flood"}, 2},
		{"password-code without password", []string{"run", "--secret", "a", "--scenario", "password-code"}, 2},
		{"remote server", []string{"run", "--secret", "a", "--server", "192.0.2.1:1812"}, 2},
		{"password without password", []string{"run", "--secret", "a", "--scenario", "password"}, 2},
		{"negative rate", []string{"run", "--secret", "a", "--rate", "-1"}, 2},
		{"rate too high", []string{"run", "--secret", "a", "--rate", "2e6"}, 2},
		{"rate not a number", []string{"run", "--secret", "a", "--rate", "NaN"}, 2},
		{"steps ahead 2", []string{"run", "--secret", "a", "--steps-ahead", "2"}, 2},
		{"steps back -1", []string{"run", "--secret", "a", "--steps-back", "-1"}, 2},
		{"remote metrics", []string{"run", "--secret", "a", "--metrics-url", "http://192.0.2.1:9812/metrics"}, 2},
		{"metrics not http", []string{"run", "--secret", "a", "--metrics-url", "file:///etc/passwd"}, 2},
		{"too many users", []string{"run", "--secret", "a", "--users", "1000001"}, 2},
		{"stray argument", []string{"run", "--secret", "a", "extra"}, 2},
		{"unreadable secret file", []string{"run", "--secret-file", "/nonexistent/radload"}, 1},
		{"gen-users without output", []string{"gen-users", "--count", "3"}, 2},
		{"gen-users zero count", []string{"gen-users", "--count", "0", "--csv", "-"}, 2},
		{"gen-users bad prefix", []string{"gen-users", "--count", "1", "--csv", "-", "--prefix", "a b"}, 2},
		{"gen-users low cost", []string{"gen-users", "--count", "1", "--csv", "-", "--bcrypt-cost", "3"}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			if got := run(t.Context(), tt.args, &out, &errOut); got != tt.want {
				t.Fatalf("exit %d, want %d; stderr: %s", got, tt.want, errOut.String())
			}
		})
	}
}

func TestSecretFromFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s")
	if err := os.WriteFile(path, []byte("line one\r\nline two\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	v, err := secretFrom("secret", "", path)
	if err != nil || !v.Equal([]byte("line one")) {
		t.Fatalf("secretFrom = %v, %v", v, err)
	}
}

func TestParseRunFlagsDefaults(t *testing.T) {
	cfg, err := parseRunFlags([]string{"--secret", "s3"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.duration != defaultDuration || cfg.concurrency != 32 || cfg.scenario != scenCode ||
		cfg.server != "127.0.0.1:1812" || cfg.maxRequests != 0 || cfg.now == nil ||
		cfg.rate != 0 || cfg.stepsBack != 1 || cfg.stepsAhead != 1 || cfg.metricsURL != "" {
		t.Fatalf("defaults: %+v", cfg)
	}
	if s := strings.ToLower(cfg.secret.String()); s != "[redacted]" {
		t.Fatalf("secret prints as %q", s)
	}
}
