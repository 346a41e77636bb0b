package notify

import "testing"

func TestMaskEmail(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"plain", "alice@example.org", "a***@example.org"},
		{"one letter", "a@example.org", "a***@example.org"},
		{"display name", "Alice <alice@example.org>", "a***@example.org"},
		{"non-ASCII first letter", "ärger@example.org", "ä***@example.org"},
		{"quoted local part with @", `"a@b"@example.org`, "a***@example.org"},
		{"empty local part", "@example.org", "***@example.org"},
		{"no @", "alice", "***"},
		{"invalid UTF-8", "\xffalice@example.org", "***@example.org"},
		{"empty", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := MaskEmail(tc.in); got != tc.want {
				t.Errorf("MaskEmail(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestMaskPhone(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"germany with blanks", "+49 170 1234512", "+49 *** **12"},
		{"germany E.164", "+491701234512", "+49 *** **12"},
		{"00 prefix", "0049 170 1234512", "+49 *** **12"},
		{"NANP one-digit code", "+1 (555) 010-0199", "+1 *** **99"},
		{"russia", "+7 912 345 67 89", "+7 *** **89"},
		{"three-digit code", "+353 85 123 4567", "+353 *** **67"},
		{"national form", "0170 1234512", "*** **12"},
		{"dots and dashes", "+44-20.7946.0958", "+44 *** **58"},
		{"too short after code", "+49 123", "***"},
		{"four digits national", "1234", "*** **34"},
		{"three digits", "112", "***"},
		{"just plus", "+", "***"},
		{"letters only", "call me", "***"},
		{"odd bytes", "\xff+\x00", "***"},
		{"empty", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := MaskPhone(tc.in); got != tc.want {
				t.Errorf("MaskPhone(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

// FuzzMask checks that masking never panics and never shows more than two
// digits beyond the country code.
func FuzzMask(f *testing.F) {
	for _, s := range []string{"+49 170 1234512", "alice@example.org", "00", "+", "@", "\xff@", ""} {
		f.Add(s) // the examples, and the shortest odd inputs
	}
	f.Fuzz(func(t *testing.T, in string) {
		_ = MaskEmail(in)
		out := MaskPhone(in)
		if n := len(onlyDigits(out)); n > 5 {
			t.Fatalf("MaskPhone(%q) = %q shows %d digits", in, out, n)
		}
	})
}
