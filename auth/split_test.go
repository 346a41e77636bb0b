package auth

import "testing"

func TestSplitPassword(t *testing.T) {
	tests := []struct {
		in, sep  string
		digits   int
		pw, code string
		ok       bool
	}{
		{"S3cret!492039", "", 6, "S3cret!", "492039", true},
		{"492039", "", 6, "", "492039", true},
		{"S3cret!4920391", "", 8, "S3cret", "!4920391", false},
		{"pw12345678", "", 8, "pw", "12345678", true},
		{"short", "", 6, "", "", false},
		{"", "", 6, "", "", false},
		{"pw,123456", ",", 6, "pw", "123456", true},
		{"p,w,123456", ",", 6, "p,w", "123456", true},
		{"pw123456", ",", 6, "", "", false},
		{"pw,12345", ",", 6, "pw", "12345", false},
		{"päss123456", "", 6, "päss", "123456", true},
		{"pw١٢٣٤٥٦", "", 6, "", "", false}, // Arabic-Indic digits are not ASCII digits
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			pw, code, ok := SplitPassword(tt.in, tt.digits, tt.sep)
			if ok != tt.ok || (ok && (pw != tt.pw || code != tt.code)) {
				t.Fatalf("SplitPassword(%q) = %q, %q, %v; want %q, %q, %v", tt.in, pw, code, ok, tt.pw, tt.code, tt.ok)
			}
		})
	}
}

func TestSplitSecondFactor(t *testing.T) {
	tests := []struct {
		in, sep, pw, code string
		ok                bool
	}{
		{"S3cret!abcde-fghjk", "", "S3cret!", "abcdefghjk", true},
		{"S3cret!ABCDE-FGHJK", "", "S3cret!", "abcdefghjk", true},
		{"S3cret!123456", "", "S3cret!", "123456", true},
		{"pw,abcdefghjk", ",", "pw", "abcdefghjk", true},
		{"pw,", ",", "", "", false},
		{"S3cret!", "", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			pw, code, ok := splitSecondFactor(tt.in, 6, tt.sep)
			if ok != tt.ok || (ok && (pw != tt.pw || code != tt.code)) {
				t.Fatalf("got %q, %q, %v", pw, code, ok)
			}
		})
	}
}

func FuzzSplitPassword(f *testing.F) {
	for _, s := range []string{
		"S3cret!492039", // append mode
		"492039",        // bare code
		"",              // empty
		"pw,123456",     // separator
		"pw\x00123456",  // NUL (layeh truncates there; we must not)
		"päss12345678",  // non-ASCII password, 8 digits
	} {
		f.Add(s, uint8(6), "")
		f.Add(s, uint8(8), ",")
	}
	f.Fuzz(func(t *testing.T, in string, digits uint8, sep string) {
		n := int(digits%3)*2 + 4 // 4, 6 or 8
		pw, code, ok := SplitPassword(in, n, sep)
		if !ok {
			return
		}
		joined := pw + code
		if sep != "" {
			joined = pw + sep + code
		}
		if joined != in || len(code) != n || !allDigits(code) {
			t.Fatalf("%q (sep %q) → %q, %q", in, sep, pw, code)
		}
	})
}

func TestNormalize(t *testing.T) {
	r := NameRules{Lowercase: true, StripDomains: []string{"EXAMPLE"}, StripRealms: []string{"example.org"}}
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"Alice", "alice", true},
		{"ALICE", "alice", true},
		{`EXAMPLE\alice`, "alice", true},
		{`example\Alice`, "alice", true},
		{"alice@example.org", "alice", true},
		{"alice@EXAMPLE.ORG", "alice", true},
		{`OTHER\alice`, `other\alice`, true},
		{"alice@other.org", "alice@other.org", true},
		{" alice ", "alice", true},
		{"", "", false},
		{`EXAMPLE\`, "", false},
		{"al\x00ice", "", false},
		{"al\nice", "", false},
		{"\xff\xfe", "", false},
		{string(make([]byte, 254)), "", false},
		{"Ärger", "ärger", true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, ok := r.Normalize(tt.in)
			if got != tt.want || ok != tt.ok {
				t.Fatalf("Normalize(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
			}
		})
	}
}
