package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base32"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"
)

func TestUserName(t *testing.T) {
	tests := []struct {
		name, prefix string
		i            int
		want         string
	}{
		{"first", "u", 0, "u000000"},
		{"padded", "u", 42, "u000042"},
		{"last", "load.", maxUsers - 1, "load.999999"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := userName(tt.prefix, tt.i); got != tt.want {
				t.Errorf("userName(%q, %d) = %q, want %q", tt.prefix, tt.i, got, tt.want)
			}
		})
	}
}

func TestDeriveSecret(t *testing.T) {
	tests := []struct{ name, seed, user string }{
		{"default seed", "radload", "u000000"},
		{"other user", "radload", "u000001"},
		{"other seed", "s3", "u000000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mac := hmac.New(sha256.New, []byte(tt.seed)) // independent: HMAC-SHA256(seed, name)[:20]
			mac.Write([]byte(tt.user))
			want := strings.TrimRight(base32.StdEncoding.EncodeToString(mac.Sum(nil)[:20]), "=")
			got := deriveSecret(tt.seed, tt.user)
			if got != want || len(got) != 32 {
				t.Errorf("deriveSecret = %q, want %q (32 chars)", got, want)
			}
		})
	}
}

func TestUserSetCodeMatchesTOTP(t *testing.T) {
	u := newUserSet("u", "seed", 7, 3)
	if u.names[0] != "u000007" {
		t.Fatalf("first name %q", u.names[0])
	}
	now := time.Unix(1_700_000_015, 0)
	for i := range u.len() {
		t.Run(u.names[i], func(t *testing.T) {
			want, err := totp.GenerateCode(u.secrets[i], now)
			if err != nil {
				t.Fatal(err)
			}
			got, err := u.code(i, stepAt(now))
			if err != nil || got != want {
				t.Errorf("code = %q, %v; want %q", got, err, want)
			}
		})
	}
}

func TestStepAt(t *testing.T) {
	tests := []struct {
		name string
		unix int64
		want int64
	}{
		{"epoch", 0, 0},
		{"end of first step", 29, 0},
		{"second step", 30, 1},
		{"before epoch", -1, -1},
		{"step start before epoch", -30, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := stepAt(time.Unix(tt.unix, 0)); got != tt.want {
				t.Errorf("stepAt(%d) = %d, want %d", tt.unix, got, tt.want)
			}
			if got := stepStart(tt.want); got.After(time.Unix(tt.unix, 0)) {
				t.Errorf("stepStart(%d) = %v is after %d", tt.want, got, tt.unix)
			}
		})
	}
}
