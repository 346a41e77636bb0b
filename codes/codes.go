// Package codes implements one-time recovery codes: generation, the
// tolerant parsing of what users type, and the keyed digests that the store
// keeps instead of the codes.
//
// A code is 10 symbols of a Crockford-style lower-case base32 alphabet
// (no i, l, o, u), 50 random bits, shown as "xxxxx-xxxxx".
//
// It is pure (callers pass the random source) and imports only the
// standard library; it must never import a store, directory or RADIUS
// package.
package codes

import (
	"errors"
	"fmt"
	"io"
	"strings"
)

// Alphabet holds the 32 code symbols; a symbol's index is its 5-bit value.
const Alphabet = "0123456789abcdefghjkmnpqrstvwxyz"

// Length is the number of symbols in a code (5 bits each: 50 bits).
const Length = 10

// formattedLen is the length of the "xxxxx-xxxxx" form.
const formattedLen = Length + 1

// maxRetries bounds the draws for one code that repeats an earlier code of
// the same set; with 50 bits a single retry is already unlikely.
const maxRetries = 8

// ErrRandomRepeats: the random source kept producing codes that were
// already in the set, so it is not random.
var ErrRandomRepeats = errors.New("codes: random source repeats itself")

// Generate returns n distinct codes in the "xxxxx-xxxxx" form. Each symbol
// takes 5 bits of one byte from rand (normally crypto/rand.Reader), so every
// symbol is uniform. The codes are secret: show them once, never log them.
func Generate(rand io.Reader, n int) ([]string, error) {
	if n < 0 {
		return nil, fmt.Errorf("codes: negative count %d", n)
	}
	out := make([]string, 0, n)
	seen := make(map[string]bool, n)
	for len(out) < n {
		code, err := generateNew(rand, seen)
		if err != nil {
			return nil, err
		}
		seen[code] = true
		out = append(out, Format(code))
	}
	return out, nil
}

// generateNew draws one canonical code that is not in seen.
func generateNew(rand io.Reader, seen map[string]bool) (string, error) {
	var b [Length]byte
	for range maxRetries {
		if _, err := io.ReadFull(rand, b[:]); err != nil {
			return "", fmt.Errorf("codes: read random: %w", err)
		}
		for i := range b {
			b[i] = Alphabet[b[i]&0x1f]
		}
		if code := string(b[:]); !seen[code] {
			return code, nil
		}
	}
	return "", ErrRandomRepeats
}

// Format returns a canonical 10-symbol code in the "xxxxx-xxxxx" form shown
// to users. Any other input is returned unchanged.
func Format(code string) string {
	if len(code) != Length {
		return code
	}
	return code[:Length/2] + "-" + code[Length/2:]
}

// Normalize returns the canonical form of a code as a user typed it: the
// 10 symbols in lower case without separators. It trims ASCII spaces and
// tabs around the code, ignores spaces inside it, accepts at most one
// hyphen and only between the fifth and sixth symbols, folds ASCII upper
// case, and maps the misreadings i and l to 1 and o to 0. ok is false for
// anything else: a wrong length, a symbol outside Alphabet (u included),
// non-ASCII bytes or control characters such as NUL.
func Normalize(s string) (string, bool) {
	s = strings.Trim(s, " \t")
	if len(s) > 4*formattedLen { // no valid code is this long; bound the work
		return "", false
	}
	var b [Length]byte
	n, hyphenAt := 0, -1
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == ' ':
		case c == '-' && hyphenAt < 0:
			hyphenAt = n
		default:
			sym, ok := symbol(c)
			if !ok || n == Length {
				return "", false
			}
			b[n] = sym
			n++
		}
	}
	if n != Length || (hyphenAt >= 0 && hyphenAt != Length/2) {
		return "", false
	}
	return string(b[:]), true
}

// symbol folds one typed byte to its Alphabet symbol.
func symbol(c byte) (byte, bool) {
	if 'A' <= c && c <= 'Z' {
		c += 'a' - 'A'
	}
	switch c {
	case 'i', 'l':
		c = '1'
	case 'o':
		c = '0'
	}
	return c, strings.IndexByte(Alphabet, c) >= 0
}

// HasFormattedSuffix reports whether s ends in a code in the "xxxxx-xxxxx"
// form (ASCII case folded; no misreading is mapped and no space allowed),
// as in "password" followed directly by a recovery code. rest is s without
// those 11 bytes; code is the canonical 10-symbol form, ready for Digest.
func HasFormattedSuffix(s string) (rest, code string, ok bool) {
	if len(s) < formattedLen {
		return "", "", false
	}
	rest, tail := s[:len(s)-formattedLen], s[len(s)-formattedLen:]
	if tail[Length/2] != '-' {
		return "", "", false
	}
	var b [Length]byte
	for i, j := 0, 0; i < len(tail); i++ {
		if i == Length/2 {
			continue
		}
		c := tail[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if strings.IndexByte(Alphabet, c) < 0 {
			return "", "", false
		}
		b[j] = c
		j++
	}
	return rest, string(b[:]), true
}
