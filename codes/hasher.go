package codes

import (
	"crypto/hmac"
	"crypto/sha256"
	"log/slog"
	"strconv"
)

// digestContext separates these digests from any other use of the key.
const digestContext = "radiusd recovery code v1"

// Hasher computes the keyed digests under which the store keeps recovery
// codes. It is safe for concurrent use and never prints its key.
type Hasher struct{ key []byte }

// NewHasher returns a Hasher keyed with a copy of key, which should be at
// least 32 random bytes kept outside the store.
func NewHasher(key []byte) *Hasher { return &Hasher{key: append([]byte(nil), key...)} }

// Digest returns HMAC-SHA256 over a context string, the user name and the
// code, each encoded as a netstring ("len:bytes,"), so that a digest of one
// user's code is useless for any other user and no (user, code) pair
// collides with another by shifting bytes between them. normalizedCode must be what Normalize returned.
// Digests all have the same length (32 bytes): compare them in constant time.
func (h *Hasher) Digest(user, normalizedCode string) []byte {
	mac := hmac.New(sha256.New, h.key)
	var buf []byte
	for _, field := range []string{digestContext, user, normalizedCode} {
		buf = strconv.AppendInt(buf, int64(len(field)), 10) // netstring: "len:field,"
		buf = append(buf, ':')
		buf = append(buf, field...)
		buf = append(buf, ',')
	}
	mac.Write(buf)
	clear(buf)
	return mac.Sum(nil)
}

// String implements fmt.Stringer without the key.
func (Hasher) String() string { return "codes.Hasher{[redacted]}" }

// GoString implements fmt.GoStringer without the key.
func (h Hasher) GoString() string { return h.String() }

// LogValue implements slog.LogValuer without the key.
func (h Hasher) LogValue() slog.Value { return slog.StringValue(h.String()) }
