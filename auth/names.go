package auth

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxNameLen is the longest User-Name RADIUS can carry (RFC 2865 §5.1).
const maxNameLen = 253

// NameRules say how login names are normalised before any lookup, so that
// "Alice", "EXAMPLE\alice" and "alice@example.org" share one replay record,
// one failure counter and one lockout (PRODUCT.md §7).
type NameRules struct {
	Lowercase    bool     // fold case
	StripDomains []string // NetBIOS domains removed from DOMAIN\user (case-insensitive)
	StripRealms  []string // realms removed from user@realm (case-insensitive)
}

// Normalize returns the canonical form of a login name, or ok=false for a
// name that is empty, too long, not valid UTF-8, or holds control
// characters (NUL included). A domain or realm not listed in the rules is
// kept, so "OTHER\alice" is a different user from "alice".
func (r NameRules) Normalize(raw string) (name string, ok bool) {
	if len(raw) == 0 || len(raw) > maxNameLen || !utf8.ValidString(raw) {
		return "", false
	}
	if strings.IndexFunc(raw, unicode.IsControl) >= 0 {
		return "", false
	}
	name = strings.TrimSpace(raw)
	if domain, user, found := strings.Cut(name, `\`); found && containsFold(r.StripDomains, domain) {
		name = user
	}
	if i := strings.LastIndexByte(name, '@'); i >= 0 && containsFold(r.StripRealms, name[i+1:]) {
		name = name[:i]
	}
	if r.Lowercase {
		name = strings.ToLower(name)
	}
	if name == "" {
		return "", false
	}
	return name, true
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}
