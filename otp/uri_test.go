package otp_test

import (
	"net/url"
	"testing"

	"radiusd/otp"
	"radiusd/secret"
)

func TestURI(t *testing.T) {
	key := secret.New([]byte("12345678901234567890"))
	const b32 = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
	tests := []struct {
		name, issuer, account string
		p                     otp.Params
		want                  string
	}{
		{"plain", "Example", "alice", otp.DefaultParams,
			"otpauth://totp/Example:alice?secret=" + b32 + "&issuer=Example&algorithm=SHA1&digits=6&period=30"},
		{"spaces and e-mail", "Example VPN", "alice@example.org", otp.Params{Digits: 8, Period: 60, Algorithm: "SHA512"},
			"otpauth://totp/Example%20VPN:alice@example.org?secret=" + b32 + "&issuer=Example%20VPN&algorithm=SHA512&digits=8&period=60"},
		{"colon, ampersand, slash", "A:B&C", "dom/al:ice", otp.DefaultParams,
			"otpauth://totp/A%3AB&C:dom%2Fal%3Aice?secret=" + b32 + "&issuer=A%3AB%26C&algorithm=SHA1&digits=6&period=30"},
		{"plus and percent", "a+b%", "c+d", otp.DefaultParams,
			"otpauth://totp/a+b%25:c+d?secret=" + b32 + "&issuer=a%2Bb%25&algorithm=SHA1&digits=6&period=30"},
		{"non-ASCII", "Bäckerei", "jürgen", otp.DefaultParams,
			"otpauth://totp/B%C3%A4ckerei:j%C3%BCrgen?secret=" + b32 + "&issuer=B%C3%A4ckerei&algorithm=SHA1&digits=6&period=30"},
		{"no issuer", "", "alice", otp.DefaultParams,
			"otpauth://totp/alice?secret=" + b32 + "&algorithm=SHA1&digits=6&period=30"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := otp.URI(tt.issuer, tt.account, key, tt.p)
			if got != tt.want {
				t.Fatalf("URI =\n %s\nwant\n %s", got, tt.want)
			}
			u, err := url.Parse(got)
			if err != nil {
				t.Fatal(err)
			}
			wantLabel := tt.account
			if tt.issuer != "" {
				wantLabel = tt.issuer + ":" + tt.account
			}
			if u.Scheme != "otpauth" || u.Host != "totp" || u.Path != "/"+wantLabel {
				t.Fatalf("parsed %q %q %q", u.Scheme, u.Host, u.Path)
			}
			if q := u.Query(); q.Get("issuer") != tt.issuer || q.Get("secret") != b32 {
				t.Fatalf("parsed query %v", q)
			}
		})
	}
}
