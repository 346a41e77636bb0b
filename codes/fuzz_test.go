package codes_test

import (
	"bytes"
	"strings"
	"testing"

	"radiusd/codes"
)

func FuzzNormalize(f *testing.F) {
	for _, s := range []string{
		"abcde-fghjk",        // the displayed form
		"ABCDE-FGHJK",        // caps lock
		"abcdefghjk",         // hyphen left out
		" abcde fghjk\t",     // space instead of hyphen, padding around
		"iloab-cdefg",        // misreadings of 1 and 0
		"abcd-efghjk",        // hyphen in the wrong place
		"abcde--fghjk",       // two hyphens
		"abcde-fghju",        // u is not a symbol
		"abcde-fghj\x00",     // NUL (layeh truncates there)
		"\u00a0abcde-fghjk",  // non-ASCII space
		"ａbcde-fghjk",        // fullwidth letter
		"S3cret!abcde-fghjk", // password with an appended code
		"",                   // empty
		"\xff\xfe",           // invalid UTF-8
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out, ok := codes.Normalize(in)
		if ok {
			checkCanonical(t, in, out)
		} else if out != "" {
			t.Fatalf("Normalize(%q) = %q with ok=false", in, out)
		}
		checkSuffix(t, in)
		checkGenerated(t, in)
	})
}

// checkCanonical: an accepted code is 10 symbols of the alphabet, and
// Normalize is idempotent on it and on its formatted form.
func checkCanonical(t *testing.T, in, out string) {
	t.Helper()
	if len(out) != codes.Length || strings.Trim(out, codes.Alphabet) != "" {
		t.Fatalf("Normalize(%q) = %q: not %d symbols of the alphabet", in, out, codes.Length)
	}
	for _, again := range []string{out, codes.Format(out), strings.ToUpper(codes.Format(out))} {
		if got, ok := codes.Normalize(again); !ok || got != out {
			t.Fatalf("Normalize(%q) = %q, %v; want %q (from %q)", again, got, ok, out, in)
		}
	}
}

// checkSuffix: a split suffix is 11 bytes at the end of in, and its code is
// what Normalize makes of those bytes.
func checkSuffix(t *testing.T, in string) {
	t.Helper()
	rest, code, ok := codes.HasFormattedSuffix(in)
	if !ok {
		return
	}
	tail, found := strings.CutPrefix(in, rest)
	if !found || len(tail) != codes.Length+1 {
		t.Fatalf("HasFormattedSuffix(%q) rest %q is not the prefix before 11 bytes", in, rest)
	}
	if norm, ok := codes.Normalize(tail); !ok || norm != code {
		t.Fatalf("HasFormattedSuffix(%q) code %q, but Normalize(%q) = %q, %v", in, code, tail, norm, ok)
	}
}

// checkGenerated: with the fuzz input as the random source, every generated
// code normalizes to itself minus the hyphen and splits off any prefix.
func checkGenerated(t *testing.T, in string) {
	t.Helper()
	n := min(len(in)/codes.Length, 8) // bounded: each code is checked against a copy of in
	set, err := codes.Generate(bytes.NewReader([]byte(in)), n)
	if err != nil {
		return // a repeating source; TestGenerate covers that
	}
	for _, c := range set {
		want := strings.Replace(c, "-", "", 1)
		if got, ok := codes.Normalize(c); !ok || got != want {
			t.Fatalf("Normalize(generated %q) = %q, %v", c, got, ok)
		}
		if rest, code, ok := codes.HasFormattedSuffix(in + c); !ok || rest != in || code != want {
			t.Fatalf("HasFormattedSuffix(%q) = %q, %q, %v", in+c, rest, code, ok)
		}
	}
}
