package otp_test

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"radiusd/otp"
	"radiusd/secret"
)

func TestNewSecret(t *testing.T) {
	rnd := bytes.NewReader(bytes.Repeat([]byte{0xAB}, otp.SecretSize))
	s, err := otp.NewSecret(rnd)
	if err != nil {
		t.Fatal(err)
	}
	if !s.Equal(bytes.Repeat([]byte{0xAB}, otp.SecretSize)) {
		t.Fatalf("secret does not hold the random bytes")
	}
	if _, err := otp.NewSecret(bytes.NewReader(make([]byte, otp.SecretSize-1))); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("short random source: err = %v, want io.ErrUnexpectedEOF", err)
	}
}

func TestParseSecret(t *testing.T) {
	key := []byte("12345678901234567890") // base32 GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ
	tests := []struct {
		name    string
		in      string
		want    []byte
		wantErr error
	}{
		{"canonical", "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", key, nil},
		{"lower case", "gezdgnbvgy3tqojqgezdgnbvgy3tqojq", key, nil},
		{"groups of four", "GEZD GNBV GY3T QOJQ GEZD GNBV GY3T QOJQ", key, nil},
		{"tabs and line break", "\tGEZDGNBVGY3TQOJQ\nGEZDGNBVGY3TQOJQ\r\n", key, nil},
		{"80 bits", "JBSWY3DPEHPK3PXP", []byte("Hello!\xde\xad\xbe\xef"), nil},
		{"padding kept", "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGE======", append(append([]byte{}, key...), '1'), nil},
		{"padding missing", "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGE", append(append([]byte{}, key...), '1'), nil},
		{"empty", "", nil, otp.ErrInvalidSecret},
		{"only spaces", "   ", nil, otp.ErrInvalidSecret},
		{"too short", "GEZDGNBV", nil, otp.ErrInvalidSecret},
		{"too long", strings.Repeat("A", 208), nil, otp.ErrInvalidSecret},
		{"digit 1 not base32", "GEZDGNBVGY3TQOJ1", nil, otp.ErrInvalidSecret},
		{"impossible length", "GEZDGNBVGY3TQOJQG", nil, otp.ErrInvalidSecret},
		{"dangling symbol after 20 bytes", "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQG", nil, otp.ErrInvalidSecret},
		{"non-zero trailing bits", "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGF", nil, otp.ErrInvalidSecret},
		{"padding in the middle", "GEZDGNBV=GY3TQOJQ", nil, otp.ErrInvalidSecret},
		{"hyphens", "GEZD-GNBV-GY3T-QOJQ", nil, otp.ErrInvalidSecret},
		{"non-ASCII letter", "GEZDGNBVGY3TQOJſ", nil, otp.ErrInvalidSecret},
		{"NUL", "GEZDGNBVGY3TQOJQ\x00", nil, otp.ErrInvalidSecret},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := otp.ParseSecret(tt.in)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if err != nil {
				if strings.TrimSpace(tt.in) != "" && strings.Contains(err.Error(), strings.TrimSpace(tt.in)) {
					t.Fatalf("error %q echoes the input", err)
				}
				return
			}
			if !got.Equal(tt.want) {
				t.Fatalf("decoded secret differs")
			}
		})
	}
}

func TestEncodeSecretRoundTrip(t *testing.T) {
	for _, n := range []int{10, 16, 20, 32, 64} {
		s := secret.New(bytes.Repeat([]byte{0x5A}, n))
		enc := otp.EncodeSecret(s)
		if strings.ContainsAny(enc, "= ") || strings.ToUpper(enc) != enc {
			t.Fatalf("EncodeSecret(%d bytes) = %q, want upper case without padding", n, enc)
		}
		back, err := otp.ParseSecret(enc)
		if err != nil || !back.Equal(s.Bytes()) {
			t.Fatalf("round trip of %d bytes: %v", n, err)
		}
	}
}

func TestParams(t *testing.T) {
	tests := []struct {
		name     string
		p        otp.Params
		wantErr  error
		problems int
	}{
		{"default", otp.DefaultParams, nil, 0},
		{"8 digits 60 s SHA512", otp.Params{Digits: 8, Period: 60, Algorithm: "SHA512"}, nil, 0},
		{"SHA256", otp.Params{Digits: 6, Period: 30, Algorithm: "SHA256"}, nil, 0},
		{"zero value", otp.Params{}, otp.ErrInvalidParams, 3},
		{"lower-case algorithm", otp.Params{Digits: 6, Period: 30, Algorithm: "sha1"}, otp.ErrInvalidParams, 1},
		{"7 digits", otp.Params{Digits: 7, Period: 30, Algorithm: "SHA1"}, otp.ErrInvalidParams, 1},
		{"period 15", otp.Params{Digits: 6, Period: 15, Algorithm: "SHA1"}, otp.ErrInvalidParams, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.p.Validate()
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if err == nil {
				return
			}
			if n := strings.Count(err.Error(), "\n") + 1; n != tt.problems {
				t.Fatalf("%d problems reported, want %d: %v", n, tt.problems, err)
			}
		})
	}
}
