package radiussrv

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"

	"radiusd/auth"
	"radiusd/secret"
)

// client is a validated Client as the request path uses it.
type client struct {
	name      string
	secret    secret.Value
	mode      auth.Mode
	separator string
	requireMA bool
	replies   []groupAttrs // attributes for Access-Accept, by group
	signer    *signer      // Message-Authenticators with secret
}

// clientRoute maps one source network to its client.
type clientRoute struct {
	prefix netip.Prefix
	client *client
}

// clientTable is an immutable set of clients, routes sorted most specific
// first, so the first matching route wins.
type clientTable struct {
	routes []clientRoute
}

// newClientTable validates clients and builds their routing table. IPv4
// prefixes written as IPv4-mapped IPv6 (::ffff:10.0.0.0/104) are unmapped.
func newClientTable(clients []Client) (*clientTable, error) {
	t := &clientTable{}
	names := make(map[string]bool, len(clients))
	seen := make(map[netip.Prefix]string)
	for i, c := range clients {
		cl, err := validateClient(i, c, names)
		if err != nil {
			return nil, err
		}
		for _, p := range c.Networks {
			p, err := normalizePrefix(p)
			if err != nil {
				return nil, fmt.Errorf("%w: client %q: %w", ErrInvalidOptions, c.Name, err)
			}
			if other, dup := seen[p]; dup {
				return nil, fmt.Errorf("%w: client %q: network %s already belongs to client %q",
					ErrInvalidOptions, c.Name, p, other)
			}
			seen[p] = c.Name
			t.routes = append(t.routes, clientRoute{prefix: p, client: cl})
		}
	}
	slices.SortStableFunc(t.routes, func(a, b clientRoute) int {
		return cmp.Compare(b.prefix.Bits(), a.prefix.Bits())
	})
	return t, nil
}

func validateClient(i int, c Client, names map[string]bool) (*client, error) {
	switch {
	case c.Name == "":
		return nil, fmt.Errorf("%w: client %d: empty name", ErrInvalidOptions, i)
	case names[c.Name]:
		return nil, fmt.Errorf("%w: client %q: duplicate name", ErrInvalidOptions, c.Name)
	case len(c.Networks) == 0:
		return nil, fmt.Errorf("%w: client %q: no networks", ErrInvalidOptions, c.Name)
	case c.Secret.IsZero():
		return nil, fmt.Errorf("%w: client %q: empty secret", ErrInvalidOptions, c.Name)
	}
	names[c.Name] = true
	mode := c.Mode
	if mode == "" {
		mode = auth.ModePasswordOTP
	}
	if _, err := auth.ParseMode(string(mode)); err != nil {
		return nil, fmt.Errorf("%w: client %q: mode %w", ErrInvalidOptions, c.Name, err)
	}
	replies, err := validateReplies(c.Name, c.Replies)
	if err != nil {
		return nil, err
	}
	key := secret.New(c.Secret.Bytes())
	return &client{
		name:      c.Name,
		secret:    key,
		signer:    newSigner(key.Bytes()),
		mode:      mode,
		separator: c.Separator,
		requireMA: c.RequireMessageAuthenticator,
		replies:   replies,
	}, nil
}

func normalizePrefix(p netip.Prefix) (netip.Prefix, error) {
	if !p.IsValid() {
		return netip.Prefix{}, fmt.Errorf("invalid network %q", p.String())
	}
	if p.Addr().Zone() != "" {
		return netip.Prefix{}, fmt.Errorf("network %s has a zone", p)
	}
	if p.Addr().Is4In6() && p.Bits() >= 96 {
		p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
	}
	return p.Masked(), nil
}

// match returns the client whose most specific network contains addr
// (IPv4-mapped IPv6 addresses are unmapped first), or nil.
func (t *clientTable) match(addr netip.Addr) *client {
	addr = addr.Unmap().WithZone("")
	for _, r := range t.routes {
		if r.prefix.Contains(addr) {
			return r.client
		}
	}
	return nil
}
