package notify

import (
	"net/mail"
	"strings"
	"unicode/utf8"
)

// MaskEmail shortens an e-mail address for a Reply-Message: the first
// character of the local part, "***", and the whole domain
// ("alice@example.org" → "a***@example.org"). An address with an empty
// local part gives "***@domain", one without "@" gives "***", and ""
// gives "". A display name is dropped ("Alice <alice@example.org>" →
// "a***@example.org"). It never panics, whatever the input.
func MaskEmail(addr string) string {
	if addr == "" {
		return ""
	}
	if a, err := mail.ParseAddress(addr); err == nil {
		addr = a.Address
	}
	at := strings.LastIndexByte(addr, '@')
	if at < 0 {
		return "***"
	}
	local, domain := addr[:at], addr[at:]
	r, size := utf8.DecodeRuneInString(local)
	if size == 0 || r == utf8.RuneError {
		return "***" + domain
	}
	return local[:size] + "***" + domain
}

// MaskPhone shortens a phone number for a Reply-Message: the country code
// and the last two digits stay, the rest becomes "*** **", whatever its
// length ("+49 170 1234512" → "+49 *** **12"). Only digits count:
// blanks, dashes, dots and brackets are ignored.
//
// A number in international form starts with "+" or "00"; its country
// code is found from the E.164 numbering plan (1 and 7 are one digit, the
// two-digit codes of zones 2 to 9 are listed, all others are three digits),
// so "+491701234512" also gives "+49 *** **12". A number in national form
// ("0170 1234512") gives "*** **12". A number with fewer than four digits
// after the country code, or input without digits, gives "***"; "" gives
// "". It never panics, whatever the input.
func MaskPhone(number string) string {
	if number == "" {
		return ""
	}
	s := strings.TrimSpace(number)
	intl := strings.HasPrefix(s, "+") || strings.HasPrefix(s, "00")
	digits := onlyDigits(s)
	if strings.HasPrefix(s, "00") {
		digits = digits[2:]
	}
	cc := ""
	if intl {
		cc = countryCode(digits)
	}
	rest := digits[len(cc):]
	if len(rest) < 4 {
		return "***"
	}
	masked := "*** **" + rest[len(rest)-2:]
	if cc != "" {
		return "+" + cc + " " + masked
	}
	return masked
}

// onlyDigits returns the ASCII digits of s in order.
func onlyDigits(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= '0' && c <= '9' {
			b.WriteByte(c)
		}
	}
	return b.String()
}

// twoDigitCodes are the two-digit E.164 country codes; every code of
// zones 2 to 9 not listed here has three digits (the plan is prefix-free).
const twoDigitCodes = " 20 27 30 31 32 33 34 36 39 40 41 43 44 45 46 47 48 49 51 52 53 54 55 56 57 58" +
	" 60 61 62 63 64 65 66 81 82 84 86 90 91 92 93 94 95 98 "

// countryCode returns the E.164 country code that digits (an
// international number without its "+") starts with, or "" when digits
// is too short to hold one.
func countryCode(digits string) string {
	switch {
	case digits == "":
		return ""
	case digits[0] == '1' || digits[0] == '7':
		return digits[:1]
	case len(digits) >= 2 && strings.Contains(twoDigitCodes, " "+digits[:2]+" "):
		return digits[:2]
	case len(digits) >= 3:
		return digits[:3]
	default:
		return ""
	}
}
