package config

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Reply maps a directory group to attributes added to every Access-Accept
// of its members (PRODUCT.md §6), so that the NAS can apply a group policy.
type Reply struct {
	Group      string           `yaml:"group"`      // directory group name, case-insensitive
	Clients    []string         `yaml:"clients"`    // client names; empty = every client
	Attributes []ReplyAttribute `yaml:"attributes"` // added in order
}

// ReplyAttribute is one attribute of a Reply: a known Name, or a standard
// Type, or a Vendor with its vendor Type.
type ReplyAttribute struct {
	Name   string `yaml:"name"`   // one of ReplyAttributeNames()
	Vendor int64  `yaml:"vendor"` // IANA enterprise number of a Vendor-Specific attribute
	Type   int    `yaml:"type"`   // attribute type, or the vendor's type when vendor is set
	Value  string `yaml:"value"`
	Format string `yaml:"format"` // string (default) | integer | hex

	// Encoded is the value as sent, set by Parse; VendorID and AttrType
	// are resolved from Name, Vendor and Type.
	Encoded  []byte `yaml:"-"`
	VendorID uint32 `yaml:"-"`
	AttrType byte   `yaml:"-"`
}

// knownAttribute describes a reply attribute that can be named.
type knownAttribute struct {
	name   string
	vendor uint32
	typ    byte
	format string
}

// knownAttributes are the named reply attributes, in documentation order.
var knownAttributes = []knownAttribute{
	{"Class", 0, 25, "string"},
	{"Filter-Id", 0, 11, "string"},
	{"Session-Timeout", 0, 27, "integer"},
	{"Idle-Timeout", 0, 28, "integer"},
	{"Cisco-AVPair", 9, 1, "string"},
	{"ASA-Group-Policy", 3076, 25, "string"},
	{"Fortinet-Group-Name", 12356, 1, "string"},
	{"PaloAlto-User-Group", 25461, 5, "string"},
}

// reservedTypes are standard attributes radiusd sets itself or that must
// never be in an Access-Accept from configuration.
var reservedTypes = map[int]string{
	1: "User-Name", 2: "User-Password", 3: "CHAP-Password", 18: "Reply-Message",
	24: "State", 26: "Vendor-Specific", 33: "Proxy-State", 79: "EAP-Message",
	80: "Message-Authenticator",
}

// Value size limits: an attribute carries at most 253 bytes, and a
// Vendor-Specific one spends 6 of them on the vendor header.
const (
	maxAttrValue   = 253
	maxVendorValue = 247
	maxVendorID    = 1<<24 - 1 // the high octet of a vendor id is 0 (RFC 2865 §5.26)
)

var replyFormats = []string{"string", "integer", "hex"}

// ReplyAttributeNames returns the attribute names a reply can use.
func ReplyAttributeNames() []string {
	names := make([]string, len(knownAttributes))
	for i, k := range knownAttributes {
		names[i] = k.name
	}
	return names
}

func (c *Config) validateReplies(p *problems) {
	for i, r := range c.Replies {
		path := fmt.Sprintf("replies[%d]", i)
		p.required(path+".group", r.Group)
		for j, name := range r.Clients {
			if !slices.ContainsFunc(c.Clients, func(cl Client) bool { return cl.Name == name }) {
				p.add(fmt.Sprintf("%s.clients[%d]", path, j), "%q is not the name of a client", name)
			}
		}
		if len(r.Attributes) == 0 {
			p.add(path+".attributes", "at least one attribute is required")
		}
		for j := range r.Attributes {
			validateReplyAttribute(p, fmt.Sprintf("%s.attributes[%d]", path, j), r.Attributes[j])
		}
	}
}

func validateReplyAttribute(p *problems, path string, a ReplyAttribute) {
	k, err := a.resolve()
	if err != nil {
		p.add(path, "%v", err)
		return
	}
	if _, err := encodeValue(a.Value, k.format, k.vendor != 0); err != nil {
		p.add(path+".value", "%v", err)
	}
}

// resolve finds the attribute's vendor, type and format.
func (a ReplyAttribute) resolve() (knownAttribute, error) {
	format := a.Format
	if format != "" && !slices.Contains(replyFormats, format) {
		return knownAttribute{}, fmt.Errorf("format %q is not one of %s", format, strings.Join(replyFormats, ", "))
	}
	if a.Name != "" {
		if a.Vendor != 0 || a.Type != 0 {
			return knownAttribute{}, fmt.Errorf("set either name or type (with vendor), not both")
		}
		i := slices.IndexFunc(knownAttributes, func(k knownAttribute) bool { return strings.EqualFold(k.name, a.Name) })
		if i < 0 {
			return knownAttribute{}, fmt.Errorf("name %q is not one of %s; use vendor and type for others",
				a.Name, strings.Join(ReplyAttributeNames(), ", "))
		}
		k := knownAttributes[i]
		if format != "" && format != k.format {
			return knownAttribute{}, fmt.Errorf("format of %s is %s", k.name, k.format)
		}
		return k, nil
	}
	if format == "" {
		format = "string"
	}
	switch {
	case a.Type < 1 || a.Type > 255:
		return knownAttribute{}, fmt.Errorf("type %d is not between 1 and 255 (or set a name)", a.Type)
	case a.Vendor < 0 || a.Vendor > maxVendorID:
		return knownAttribute{}, fmt.Errorf("vendor %d is not between 1 and %d", a.Vendor, maxVendorID)
	case a.Vendor == 0 && reservedTypes[a.Type] != "":
		return knownAttribute{}, fmt.Errorf("type %d (%s) is set by radiusd or not allowed in a reply", a.Type, reservedTypes[a.Type])
	}
	return knownAttribute{vendor: uint32(a.Vendor), typ: byte(a.Type), format: format}, nil
}

// encodeValue turns the configured text into the attribute's bytes.
func encodeValue(v, format string, vendor bool) ([]byte, error) {
	limit := maxAttrValue
	if vendor {
		limit = maxVendorValue
	}
	var b []byte
	switch format {
	case "integer":
		n, err := strconv.ParseUint(strings.TrimSpace(v), 10, 32)
		if err != nil {
			return nil, fmt.Errorf("%q is not an integer between 0 and 4294967295", v)
		}
		b = binary.BigEndian.AppendUint32(nil, uint32(n))
	case "hex":
		var err error
		if b, err = hex.DecodeString(v); err != nil {
			return nil, fmt.Errorf("%q is not hexadecimal", v)
		}
	default:
		b = []byte(v)
	}
	switch {
	case len(b) == 0:
		return nil, fmt.Errorf("required")
	case len(b) > limit:
		return nil, fmt.Errorf("%d bytes is longer than the %d an attribute can carry", len(b), limit)
	}
	return b, nil
}

// resolveReplies sets Encoded, VendorID and AttrType; it runs after
// Validate, which has reported every attribute it would skip.
func (c *Config) resolveReplies() {
	for i := range c.Replies {
		for j := range c.Replies[i].Attributes {
			a := &c.Replies[i].Attributes[j]
			k, err := a.resolve()
			if err != nil {
				continue
			}
			a.Encoded, _ = encodeValue(a.Value, k.format, k.vendor != 0)
			a.VendorID, a.AttrType = k.vendor, k.typ
		}
	}
}
