package directory_test

import (
	"strings"
	"testing"

	"radiusd/directory"
)

func TestValidEmail(t *testing.T) {
	tests := []struct {
		name, in string
		want     bool
	}{
		{"plain", "alice@example.org", true},
		{"plus and dots", "alice.b+otp@mail.example.org", true},
		{"non-ASCII", "émile@exemple.fr", true},
		{"longest", strings.Repeat("a", directory.MaxEmailLen-2) + "@b", true},
		{"empty", "", false},
		{"no at", "alice.example.org", false},
		{"two ats", "alice@b@example.org", false},
		{"empty local part", "@example.org", false},
		{"empty domain", "alice@", false},
		{"space", "alice @example.org", false},
		{"tab", "alice@example.org\t", false},
		{"header injection", "alice@example.org\r\nBcc: x@y", false},
		{"NUL", "alice@example.org\x00", false},
		{"bidi override", "alice@exa\u202emple.org", false},
		{"second recipient", "alice,mallory@example.org", false},
		{"display name", "Alice <alice@example.org>", false},
		{"quoted local part", `"a"@example.org`, false},
		{"invalid UTF-8", "alice@ex\xffample.org", false},
		{"too long", strings.Repeat("a", directory.MaxEmailLen-1) + "@b", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := directory.ValidEmail(tt.in); got != tt.want {
				t.Errorf("ValidEmail(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestValidMobile(t *testing.T) {
	tests := []struct {
		name, in string
		want     bool
	}{
		{"E.164", "+4915112345678", true},
		{"separators", "+1 (555) 010-0199", true},
		{"six digits", "123456", true},
		{"twenty digits", "+12345678901234567890", true},
		{"empty", "", false},
		{"five digits", "12345", false},
		{"twenty-one digits", "123456789012345678901", false},
		{"letters", "+1 555 CALL NOW", false},
		{"dot", "030.1234567", false},
		{"non-ASCII digits", "٠١٢٣٤٥٦٧", false},
		{"newline", "+4915112345678\n", false},
		{"NUL", "+49151\x0012345678", false},
		{"too long", "+1 " + strings.Repeat("- ", 20) + "5550100", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := directory.ValidMobile(tt.in); got != tt.want {
				t.Errorf("ValidMobile(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}
