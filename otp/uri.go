package otp

import (
	"net/url"
	"strconv"
	"strings"

	"radiusd/secret"
)

// URI returns the otpauth:// key URI that authenticator apps scan
// (Google Authenticator "Key Uri Format"):
//
//	otpauth://totp/ISSUER:ACCOUNT?secret=…&issuer=ISSUER&algorithm=SHA1&digits=6&period=30
//
// Issuer and account are percent-escaped (a ":" inside either is escaped,
// spaces become %20, never "+"). An empty issuer leaves out both the label
// prefix and the parameter. The URI holds the secret: never log it.
func URI(issuer, account string, s secret.Value, p Params) string {
	label := escapeLabel(account)
	if issuer != "" {
		label = escapeLabel(issuer) + ":" + label
	}
	q := []string{"secret=" + EncodeSecret(s)}
	if issuer != "" {
		q = append(q, "issuer="+escapeQuery(issuer))
	}
	q = append(q,
		"algorithm="+escapeQuery(p.Algorithm),
		"digits="+strconv.Itoa(p.Digits),
		"period="+strconv.Itoa(p.Period))
	return "otpauth://totp/" + label + "?" + strings.Join(q, "&")
}

// escapeLabel escapes one label part. PathEscape leaves ":" alone, but the
// label uses it as the issuer separator.
func escapeLabel(s string) string {
	return strings.ReplaceAll(url.PathEscape(s), ":", "%3A")
}

// escapeQuery escapes a query value with %20 for spaces; QueryEscape turns a
// literal "+" into %2B, so every remaining "+" stands for a space.
func escapeQuery(s string) string {
	return strings.ReplaceAll(url.QueryEscape(s), "+", "%20")
}
