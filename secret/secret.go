// Package secret holds the Value type for key material, passwords and codes
// that must never reach a log line, an error or a JSON document.
//
// It imports only the standard library.
package secret

import (
	"crypto/subtle"
	"log/slog"
)

const redacted = "[redacted]"

// Value is a secret byte string. The slice field makes == a compile error;
// use Equal, which compares in constant time. Every printing path
// (String, GoString, LogValue, MarshalJSON, MarshalText) prints "[redacted]".
type Value struct{ b []byte }

// New returns a Value holding a copy of b.
func New(b []byte) Value { return Value{b: append([]byte(nil), b...)} }

// Bytes returns the secret bytes. Callers must not log or retain them.
func (v Value) Bytes() []byte { return v.b }

// Len returns the length of the secret in bytes.
func (v Value) Len() int { return len(v.b) }

// IsZero reports whether the Value holds no bytes.
func (v Value) IsZero() bool { return len(v.b) == 0 }

// Equal reports in constant time whether v holds exactly x.
func (v Value) Equal(x []byte) bool { return subtle.ConstantTimeCompare(v.b, x) == 1 }

// String implements fmt.Stringer and prints "[redacted]".
func (Value) String() string { return redacted }

// GoString implements fmt.GoStringer and prints "[redacted]".
func (Value) GoString() string { return redacted }

// LogValue implements slog.LogValuer and logs "[redacted]".
func (Value) LogValue() slog.Value { return slog.StringValue(redacted) }

// MarshalJSON prints the JSON string "[redacted]".
func (Value) MarshalJSON() ([]byte, error) { return []byte(`"` + redacted + `"`), nil }

// MarshalText prints "[redacted]".
func (Value) MarshalText() ([]byte, error) { return []byte(redacted), nil }
