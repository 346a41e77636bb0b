package codes_test

import (
	"bytes"
	"crypto/rand"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"

	"radiusd/codes"
)

func TestAlphabet(t *testing.T) {
	if len(codes.Alphabet) != 32 || strings.ContainsAny(codes.Alphabet, "ilou") {
		t.Fatalf("alphabet %q: want 32 symbols without i, l, o, u", codes.Alphabet)
	}
	for i := range len(codes.Alphabet) {
		if strings.LastIndexByte(codes.Alphabet, codes.Alphabet[i]) != i {
			t.Fatalf("symbol %q repeats", codes.Alphabet[i])
		}
	}
}

func TestGenerate(t *testing.T) {
	seq := func(from, n int) []byte { // bytes from, from+1, … (mod 256)
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(from + i)
		}
		return b
	}
	tests := []struct {
		name    string
		rand    []byte
		n       int
		want    []string
		wantErr error
	}{
		{"symbols are byte values", seq(0, 20), 2, []string{"01234-56789", "abcde-fghjk"}, nil},
		{"only the low 5 bits count", seq(32*5, 10), 1, []string{"01234-56789"}, nil},
		{"last symbols", seq(22, 10), 1, []string{"pqrst-vwxyz"}, nil},
		{"zero codes", nil, 0, []string{}, nil},
		{"repeat is redrawn", slices.Concat(seq(0, 10), seq(32, 10), seq(10, 10)), 2,
			[]string{"01234-56789", "abcde-fghjk"}, nil},
		{"constant source", make([]byte, 1000), 2, nil, codes.ErrRandomRepeats},
		{"short source", seq(0, 15), 2, nil, io.ErrUnexpectedEOF},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := codes.Generate(bytes.NewReader(tt.rand), tt.n)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if err == nil && !slices.Equal(got, tt.want) {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
	if _, err := codes.Generate(rand.Reader, -1); err == nil {
		t.Fatal("negative count accepted")
	}
}

func TestGenerateEntropy(t *testing.T) {
	set, err := codes.Generate(rand.Reader, 1000)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	counts := map[rune]int{}
	for _, c := range set {
		norm, ok := codes.Normalize(c)
		if len(c) != 11 || c[5] != '-' || !ok || norm != strings.Replace(c, "-", "", 1) {
			t.Fatalf("code %q is not xxxxx-xxxxx of the alphabet", c)
		}
		if seen[norm] {
			t.Fatalf("code repeats within a set")
		}
		seen[norm] = true
		for _, r := range norm {
			counts[r]++
		}
	}
	// 10 000 symbols: each of the 32 appears about 312 times; 200 is > 6 sigma below.
	for _, r := range codes.Alphabet {
		if counts[r] < 200 {
			t.Fatalf("symbol %q appears %d times in 10000", r, counts[r])
		}
	}
}

func TestNormalize(t *testing.T) {
	tests := []struct {
		name, in, want string
		ok             bool
	}{
		{"formatted", "abcde-fghjk", "abcdefghjk", true},
		{"bare", "abcdefghjk", "abcdefghjk", true},
		{"upper case", "ABCDE-FGHJK", "abcdefghjk", true},
		{"surrounding spaces and tabs", " \tabcde-fghjk\t ", "abcdefghjk", true},
		{"space instead of hyphen", "abcde fghjk", "abcdefghjk", true},
		{"spaces anywhere", "ab cde fg hjk", "abcdefghjk", true},
		{"spaces around hyphen", "abcde - fghjk", "abcdefghjk", true},
		{"misread i l o", "iLoab-cdefg", "110abcdefg", true},
		{"digits", "01234-56789", "0123456789", true},
		{"hyphen off centre", "abcd-efghjk", "", false},
		{"two hyphens", "ab-cde-fghjk", "", false},
		{"leading hyphen", "-abcdefghjk", "", false},
		{"too short", "abcde-fghj", "", false},
		{"too long", "abcde-fghjkm", "", false},
		{"u is not a symbol", "abcde-fghju", "", false},
		{"punctuation", "abcde_fghjk", "", false},
		{"NUL", "abcde-fghj\x00", "", false},
		{"NUL after code", "abcde-fghjk\x00", "", false},
		{"newline inside", "abcde\nfghjk", "", false},
		{"non-ASCII space", "\u00a0abcde-fghjk", "", false},
		{"fullwidth letter", "ａbcde-fghjk", "", false},
		{"empty", "", "", false},
		{"very long", strings.Repeat(" ", 100) + "abcdefghjk", "abcdefghjk", true},
		{"long inside", "abcde" + strings.Repeat(" ", 100) + "fghjk", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := codes.Normalize(tt.in)
			if got != tt.want || ok != tt.ok {
				t.Fatalf("Normalize(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestHasFormattedSuffix(t *testing.T) {
	tests := []struct {
		name, in, rest, code string
		ok                   bool
	}{
		{"password and code", "S3cret!abcde-fghjk", "S3cret!", "abcdefghjk", true},
		{"upper case code", "pwABCDE-FGHJK", "pw", "abcdefghjk", true},
		{"code alone", "abcde-fghjk", "", "abcdefghjk", true},
		{"non-ASCII password", "päss01234-56789", "päss", "0123456789", true},
		{"password ends in hyphen", "a-b-abcde-fghjk", "a-b-", "abcdefghjk", true},
		{"bare code is not formatted", "pwabcdefghjk", "", "", false},
		{"misread letters are not mapped", "pwhello-world", "", "", false},
		{"u in code", "pwabcde-fghju", "", "", false},
		{"space in code", "pwabcde fghjk", "", "", false},
		{"too short", "bcde-fghjk", "", "", false},
		{"trailing space", "pwabcde-fghjk ", "", "", false},
		{"TOTP digits", "S3cret!492039", "", "", false},
		{"empty", "", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rest, code, ok := codes.HasFormattedSuffix(tt.in)
			if rest != tt.rest || code != tt.code || ok != tt.ok {
				t.Fatalf("HasFormattedSuffix(%q) = %q, %q, %v; want %q, %q, %v",
					tt.in, rest, code, ok, tt.rest, tt.code, tt.ok)
			}
		})
	}
}

func TestFormat(t *testing.T) {
	for in, want := range map[string]string{"abcdefghjk": "abcde-fghjk", "short": "short", "": ""} {
		if got := codes.Format(in); got != want {
			t.Fatalf("Format(%q) = %q, want %q", in, got, want)
		}
	}
}
