package config

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"unicode"
	"unicode/utf8"
)

// validateClients checks every client and the uniqueness of names and of
// prefixes across clients. Overlapping prefixes are fine (the most
// specific wins); identical ones would make the match ambiguous.
func (c *Config) validateClients(p *problems) {
	if len(c.Clients) == 0 {
		p.add("clients", "at least one client is required")
	}
	names := map[string]int{}
	prefixes := map[netip.Prefix]string{}
	for i, cl := range c.Clients {
		path := fmt.Sprintf("clients[%d]", i)
		p.required(path+".name", cl.Name)
		if hasControl(cl.Name) {
			p.add(path+".name", "%q must not contain control characters", cl.Name)
		}
		if j, dup := names[cl.Name]; dup && cl.Name != "" {
			p.add(path+".name", "%q is already used by clients[%d]", cl.Name, j)
		} else {
			names[cl.Name] = i
		}
		validateNetworks(p, path, cl.Networks, prefixes)
		validateSecretSource(p, path, cl)
		p.oneOf(path+".mode", cl.Mode, modes)
		validateSeparator(p, path, cl)
	}
}

func validateNetworks(p *problems, path string, networks []string, seen map[netip.Prefix]string) {
	if len(networks) == 0 {
		p.add(path+".networks", "at least one network is required")
	}
	for j, s := range networks {
		np := fmt.Sprintf("%s.networks[%d]", path, j)
		pfx, err := parseNetwork(s)
		switch {
		case err != nil:
			p.add(np, "%q is not an IP address or CIDR prefix such as 192.0.2.0/24 or 2001:db8::/32", s)
			continue
		case pfx.Addr().Is4In6() && pfx.Bits() >= 96:
			p.add(np, "%q is an IPv4-mapped IPv6 network; write %q", s, unmap(pfx).String())
		case pfx.Addr().Is4In6():
			p.add(np, "%q is an IPv4-mapped IPv6 network; write IPv4 networks in IPv4 form", s)
		case pfx != pfx.Masked():
			p.add(np, "%q has host bits set; write %q", s, pfx.Masked().String())
		}
		if first, dup := seen[pfx.Masked()]; dup {
			p.add(np, "%s is already used by %s (identical networks are ambiguous)", pfx.Masked(), first)
			continue
		}
		seen[pfx.Masked()] = np
	}
}

// errZone: a client network must not name an IPv6 zone.
var errZone = errors.New("address has a zone")

// parseNetwork parses a CIDR prefix or a bare address (a /32 or /128).
func parseNetwork(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		return netip.ParsePrefix(s)
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	if a.Zone() != "" {
		return netip.Prefix{}, errZone
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// unmap turns an IPv4-mapped IPv6 prefix of at least 96 bits into the IPv4 prefix it means.
func unmap(p netip.Prefix) netip.Prefix {
	return netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96).Masked()
}

func validateSecretSource(p *problems, path string, cl Client) {
	switch {
	case !cl.Secret.IsZero() && cl.SecretFile != "":
		p.add(path, "set only one of secret and secret_file")
	case cl.Secret.IsZero() && cl.SecretFile == "":
		p.add(path, "secret_file (preferred) or secret is required")
	}
}

func validateSeparator(p *problems, path string, cl Client) {
	s := cl.Separator
	if s == "" {
		return
	}
	if cl.Mode != "password+otp" && cl.Mode != "auto" {
		p.add(path+".separator", "only allowed with mode password+otp or auto, not %s", cl.Mode)
	}
	bad := strings.IndexFunc(s, func(r rune) bool {
		return unicode.IsDigit(r) || unicode.IsSpace(r) || unicode.IsControl(r) || r == utf8.RuneError
	})
	switch {
	case bad >= 0:
		p.add(path+".separator", "%q must not contain digits, spaces or control characters", s)
	case utf8.RuneCountInString(s) > maxSeparator:
		p.add(path+".separator", "%q is longer than %d characters", s, maxSeparator)
	}
}
