package ldap

import (
	"errors"
	"slices"
	"strings"
	"unicode/utf8"

	goldap "github.com/go-ldap/ldap/v3"

	"radiusd/directory"
)

// maxNameLen is the longest login name sent to the server, in bytes.
const maxNameLen = 256

// errNoUser: the user search matched no entry, or more than one.
var errNoUser = errors.New("ldap: no unique user entry")

// validName reports whether name may be sent to the server at all.
func validName(name string) bool {
	return name != "" && len(name) <= maxNameLen && utf8.ValidString(name) && !strings.ContainsRune(name, 0)
}

// entry is what the directory says about a user, short of the password.
type entry struct {
	dn       string
	groups   []string
	disabled bool
	email    string // "" when absent or not directory.ValidEmail
	mobile   string // "" when absent or not directory.ValidMobile
}

// find returns name's entry from the cache or from a search (user, then
// groups) on a service connection. It returns errNoUser for zero or
// several matches.
func (d *Directory) find(c *call, name string) (entry, error) {
	if e, ok := d.cache.get(name, d.now()); ok {
		d.stats.cacheHits.Add(1)
		return e, nil
	}
	var res *goldap.SearchResult
	var groups []string
	err := d.use(c, d.service, "search", func(l *goldap.Conn) error {
		var err error
		groups = nil
		if res, err = d.searchUser(l, name); err != nil || len(res.Entries) != 1 {
			return err
		}
		if d.cfg.NoGroups {
			return nil
		}
		groups, err = d.searchGroups(l, res.Entries[0], name)
		return err
	})
	if goldap.IsErrorWithCode(err, goldap.LDAPResultSizeLimitExceeded) || (err == nil && len(res.Entries) > 1) {
		d.log.Warn("ldap user filter matches several entries", "user", name)
		return entry{}, errNoUser
	}
	if err != nil {
		return entry{}, err
	}
	if len(res.Entries) == 0 {
		return entry{}, errNoUser
	}
	e, err := d.toEntry(res.Entries[0], groups, name)
	if err == nil {
		d.cache.put(name, e, d.now())
	}
	return e, err
}

// searchUser runs the user filter for name (escaped) under BaseDN,
// asking for at most two entries: a second one means ambiguity.
func (d *Directory) searchUser(l *goldap.Conn, name string) (*goldap.SearchResult, error) {
	d.stats.searches.Add(1)
	filter := strings.ReplaceAll(d.cfg.UserFilter, "{username}", goldap.EscapeFilter(name))
	req := goldap.NewSearchRequest(d.cfg.BaseDN, goldap.ScopeWholeSubtree, goldap.NeverDerefAliases,
		2, 0, false, filter, d.userAttrs, nil)
	return l.Search(req)
}

// userAttributes lists the attributes the user search needs.
func (cfg Config) userAttributes() []string {
	var attrs []string
	if cfg.Groups == GroupsMemberOf && !cfg.NoGroups {
		attrs = append(attrs, "memberOf")
	}
	if cfg.Groups == GroupsPosix && !cfg.NoGroups {
		attrs = append(attrs, "uid")
	}
	if cfg.Flavor == ActiveDirectory {
		attrs = append(attrs, "userAccountControl")
	}
	if cfg.Groups == GroupsADNested && !cfg.NoGroups {
		attrs = append(attrs, "objectSid", "primaryGroupID") // the primary group is not in its member list
	}
	return append(attrs, cfg.MailAttribute, cfg.MobileAttribute)
}

// searchGroups returns the names of u's groups: from memberOf, or from a
// group search under GroupBaseDN.
func (d *Directory) searchGroups(l *goldap.Conn, u *goldap.Entry, name string) ([]string, error) {
	if d.cfg.Groups == GroupsMemberOf {
		return sortedNames(u.GetEqualFoldAttributeValues("memberOf"), d.cfg.GroupNameAttribute), nil
	}
	d.stats.searches.Add(1)
	req := goldap.NewSearchRequest(d.cfg.GroupBaseDN, goldap.ScopeWholeSubtree, goldap.NeverDerefAliases,
		0, 0, false, d.groupFilter(u, name), []string{d.cfg.GroupNameAttribute}, nil)
	res, err := l.Search(req)
	if err != nil {
		return nil, err
	}
	var groups []string
	for _, g := range res.Entries {
		if v := g.GetEqualFoldAttributeValue(d.cfg.GroupNameAttribute); v != "" {
			groups = append(groups, v)
		}
	}
	slices.Sort(groups)
	return slices.Compact(groups), nil
}

// groupFilter is the group search filter for user u logging in as name.
func (d *Directory) groupFilter(u *goldap.Entry, name string) string {
	dn := goldap.EscapeFilter(u.DN)
	switch d.cfg.Groups {
	case GroupsGroupOfUniqueNames:
		return "(&(objectClass=groupOfUniqueNames)(uniqueMember=" + dn + "))"
	case GroupsPosix:
		if uid := u.GetEqualFoldAttributeValue("uid"); uid != "" {
			name = uid
		}
		return "(&(objectClass=posixGroup)(memberUid=" + goldap.EscapeFilter(name) + "))"
	case GroupsADNested:
		nested := "(member:1.2.840.113556.1.4.1941:=" + dn + ")"
		if sid, ok := primaryGroupSID(u.GetRawAttributeValue("objectSid"), u.GetAttributeValue("primaryGroupID")); ok {
			nested = "(|" + nested + "(objectSid=" + escapeBinary(sid) + "))"
		}
		return "(&(objectClass=group)" + nested + ")"
	default:
		return "(&(objectClass=groupOfNames)(member=" + dn + "))"
	}
}

// sortedNames turns group DNs into group names: the value of attr in the
// first RDN ("cn=vpn-users,ou=groups,…" → "vpn-users"), or the whole DN
// when the first RDN has no such attribute. The result is sorted, without
// duplicates.
func sortedNames(dns []string, attr string) []string {
	names := make([]string, 0, len(dns))
	for _, dn := range dns {
		names = append(names, groupName(dn, attr))
	}
	slices.Sort(names)
	return slices.Compact(names)
}

func groupName(dn, attr string) string {
	parsed, err := goldap.ParseDN(dn)
	if err != nil || len(parsed.RDNs) == 0 {
		return dn
	}
	for _, a := range parsed.RDNs[0].Attributes {
		if strings.EqualFold(a.Type, attr) {
			return a.Value
		}
	}
	return dn
}

// toEntry builds the entry of search result u, found for name, with its
// groups and contacts; for AD it reads the ACCOUNTDISABLE bit of
// userAccountControl.
func (d *Directory) toEntry(u *goldap.Entry, groups []string, name string) (entry, error) {
	e := entry{
		dn:     u.DN,
		groups: groups,
		email:  d.contact(u, d.cfg.MailAttribute, name, directory.ValidEmail),
		mobile: d.contact(u, d.cfg.MobileAttribute, name, directory.ValidMobile),
	}
	if d.cfg.Flavor != ActiveDirectory {
		return e, nil
	}
	disabled, err := accountDisabled(u.GetEqualFoldAttributeValue("userAccountControl"))
	if err != nil {
		return entry{}, err
	}
	e.disabled = disabled
	return e, nil
}

// contact returns the first value of attr in u, or "" when there is none
// or it fails valid; a refused value is logged at Warn without the value
// (directory data is not trusted to be printable).
func (d *Directory) contact(u *goldap.Entry, attr, name string, valid func(string) bool) string {
	v := u.GetEqualFoldAttributeValue(attr)
	if v == "" || valid(v) {
		return v
	}
	d.log.Warn("ldap contact attribute ignored: not a valid value", "user", name, "attribute", attr)
	return ""
}
