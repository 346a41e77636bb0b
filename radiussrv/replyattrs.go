package radiussrv

import (
	"encoding/binary"
	"fmt"
	"strings"

	"layeh.com/radius"
	"layeh.com/radius/rfc2865"
)

// Attribute is an attribute added to an Access-Accept: a standard one
// (VendorID 0, Type) or a Vendor-Specific one (VendorID, Type being the
// vendor's type), as in RFC 2865 §5.26.
type Attribute struct {
	VendorID uint32 // 0 for a standard attribute; else below 1<<24
	Type     byte   // attribute type, or the vendor's type
	Value    []byte // at most 253 bytes (247 for a vendor attribute)
}

// GroupReply adds Attributes to every Access-Accept whose user is in Group
// (compared case-insensitively with auth.Decision.Groups).
type GroupReply struct {
	Group      string
	Attributes []Attribute
}

// Attribute types radiussrv sets itself; a GroupReply may not add them.
var ownTypes = map[radius.Type]bool{
	rfc2865.UserName_Type: true, rfc2865.UserPassword_Type: true, rfc2865.CHAPPassword_Type: true,
	rfc2865.ReplyMessage_Type: true, rfc2865.State_Type: true, rfc2865.VendorSpecific_Type: true,
	rfc2865.ProxyState_Type: true, 79 /* EAP-Message */ : true, 80 /* Message-Authenticator */ : true,
}

// validateReplies checks a client's GroupReplies and returns them encoded
// as RADIUS attributes.
func validateReplies(client string, replies []GroupReply) ([]groupAttrs, error) {
	out := make([]groupAttrs, 0, len(replies))
	for _, r := range replies {
		if r.Group == "" {
			return nil, fmt.Errorf("%w: client %q: reply with no group", ErrInvalidOptions, client)
		}
		g := groupAttrs{group: r.Group}
		for _, a := range r.Attributes {
			t, v, err := a.encode()
			if err != nil {
				return nil, fmt.Errorf("%w: client %q: group %q: %w", ErrInvalidOptions, client, r.Group, err)
			}
			g.attrs = append(g.attrs, &radius.AVP{Type: t, Attribute: v})
		}
		out = append(out, g)
	}
	return out, nil
}

// encode returns the attribute's type and value as sent.
func (a Attribute) encode() (radius.Type, radius.Attribute, error) {
	switch {
	case len(a.Value) == 0:
		return 0, nil, fmt.Errorf("attribute %d/%d: empty value", a.VendorID, a.Type)
	case a.VendorID == 0 && (a.Type == 0 || ownTypes[radius.Type(a.Type)]):
		return 0, nil, fmt.Errorf("attribute type %d may not be configured", a.Type)
	case a.VendorID == 0 && len(a.Value) > maxAttrValue:
		return 0, nil, fmt.Errorf("attribute %d: value longer than %d bytes", a.Type, maxAttrValue)
	case a.VendorID == 0:
		return radius.Type(a.Type), radius.Attribute(a.Value), nil
	case a.VendorID >= 1<<24:
		return 0, nil, fmt.Errorf("vendor id %d does not fit in 24 bits", a.VendorID)
	case len(a.Value) > maxAttrValue-6:
		return 0, nil, fmt.Errorf("vendor %d attribute %d: value longer than %d bytes", a.VendorID, a.Type, maxAttrValue-6)
	}
	v := binary.BigEndian.AppendUint32(make([]byte, 0, 6+len(a.Value)), a.VendorID)
	v = append(v, a.Type, byte(2+len(a.Value)))
	return rfc2865.VendorSpecific_Type, append(v, a.Value...), nil
}

// groupAttrs are the encoded attributes of one GroupReply.
type groupAttrs struct {
	group string
	attrs []*radius.AVP
}

// replyAttributes returns the attributes for a user in groups, in the
// order the replies were configured.
func (c *client) replyAttributes(groups []string) []*radius.AVP {
	var out []*radius.AVP
	for _, r := range c.replies {
		for _, g := range groups {
			if strings.EqualFold(g, r.group) {
				out = append(out, r.attrs...)
				break
			}
		}
	}
	return out
}
