package auth

import (
	"strings"

	"radiusd/codes"
)

// SplitPassword splits an appended TOTP code off "password+code"
// (PRODUCT.md §2, password+otp). Without a separator the code is the last
// digits characters, which must all be ASCII digits. With a separator the
// input is split at its last occurrence and the part after it must be
// exactly digits digits. ok is false when no code can be split off; the
// password part may be empty.
func SplitPassword(in string, digits int, sep string) (password, code string, ok bool) {
	if sep != "" {
		i := strings.LastIndex(in, sep)
		if i < 0 {
			return "", "", false
		}
		password, code = in[:i], in[i+len(sep):]
		return password, code, len(code) == digits && allDigits(code)
	}
	if digits <= 0 || len(in) < digits {
		return "", "", false
	}
	password, code = in[:len(in)-digits], in[len(in)-digits:]
	return password, code, allDigits(code)
}

// splitSecondFactor splits whatever second factor ends the input: with a
// separator, everything after the last separator; otherwise a recovery code
// in its printed xxxxx-xxxxx form, or else the last digits digits.
func splitSecondFactor(in string, digits int, sep string) (password, code string, ok bool) {
	if sep != "" {
		i := strings.LastIndex(in, sep)
		if i < 0 || i+len(sep) == len(in) {
			return "", "", false
		}
		return in[:i], in[i+len(sep):], true
	}
	if rest, rc, found := codes.HasFormattedSuffix(in); found {
		return rest, rc, true
	}
	return SplitPassword(in, digits, "")
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
