package otp

import (
	"crypto/subtle"
	"encoding/base32"
	"fmt"
	"io"

	"radiusd/secret"
)

// SecretSize is the length in bytes of secrets made by NewSecret: 160 bits,
// the length RFC 4226 section 4 recommends, for every algorithm.
const SecretSize = 20

// Bounds that ParseSecret enforces on imported secrets. RFC 4226 requires
// 128 bits; 80 bits are accepted because older systems issued them.
const (
	minSecretSize = 10
	maxSecretSize = 128
)

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// NewSecret reads SecretSize bytes from rand (normally crypto/rand.Reader).
func NewSecret(rand io.Reader) (secret.Value, error) {
	b := make([]byte, SecretSize)
	defer clear(b)
	if _, err := io.ReadFull(rand, b); err != nil {
		return secret.Value{}, fmt.Errorf("otp: read random: %w", err)
	}
	return secret.New(b), nil
}

// ParseSecret decodes a base32 secret as other systems export it: upper or
// lower case, with spaces (or tabs, line breaks) anywhere, with or without
// trailing "=" padding. It must be canonical base32 (no dangling symbol,
// zero trailing bits), so that no input is silently truncated. The decoded secret must hold 10 to 128 bytes.
// Errors match ErrInvalidSecret and never contain the input.
func ParseSecret(s string) (secret.Value, error) {
	buf := make([]byte, 0, len(s))
	defer clear(buf)
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
		case 'a' <= c && c <= 'z':
			buf = append(buf, c-'a'+'A')
		default: // anything outside the alphabet fails in DecodeString
			buf = append(buf, c)
		}
	}
	for len(buf) > 0 && buf[len(buf)-1] == '=' {
		buf = buf[:len(buf)-1]
	}
	b := make([]byte, b32.DecodedLen(len(buf)))
	defer clear(b)
	n, err := b32.Decode(b, buf)
	// Decode silently drops a dangling partial symbol (length 1, 3 or 6
	// mod 8); re-encoding catches that and non-zero trailing bits.
	if err != nil || subtle.ConstantTimeCompare([]byte(b32.EncodeToString(b[:n])), buf) != 1 {
		return secret.Value{}, fmt.Errorf("otp: secret is not valid base32: %w", ErrInvalidSecret)
	}
	if n < minSecretSize || n > maxSecretSize {
		return secret.Value{}, fmt.Errorf("otp: secret has %d bytes, want %d to %d: %w",
			n, minSecretSize, maxSecretSize, ErrInvalidSecret)
	}
	return secret.New(b[:n]), nil
}

// EncodeSecret returns s as upper-case base32 without padding, the form
// authenticator apps expect. The result is secret: never log it.
func EncodeSecret(s secret.Value) string { return b32.EncodeToString(s.Bytes()) }
