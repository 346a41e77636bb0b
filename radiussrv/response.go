package radiussrv

import (
	"crypto/md5"
	"fmt"
	"unicode/utf8"

	"layeh.com/radius"
	"layeh.com/radius/rfc2865"
	"layeh.com/radius/rfc2869"
)

// maxAttrValue is the longest attribute value (RFC 2865 §5).
const maxAttrValue = 253

// reply is what the server answers, before encoding.
type reply struct {
	code    radius.Code
	message string        // Reply-Message, split over several attributes if long
	state   []byte        // State, on Access-Challenge
	attrs   []*radius.AVP // group reply attributes, on Access-Accept
}

// encodeReply encodes r as the answer to req, signed with key:
// Message-Authenticator first (RFC 3579 §3.2, BlastRADIUS), then
// Reply-Message and State, then the group reply attributes, then the
// request's Proxy-State attributes in order (RFC 2865 §5.33). The
// Message-Authenticator is computed with the
// Request Authenticator in the authenticator field, then the Response
// Authenticator over the final bytes (RFC 2865 §3).
func encodeReply(req *radius.Packet, s *signer, r reply) ([]byte, error) {
	p := &radius.Packet{Code: r.code, Identifier: req.Identifier, Authenticator: req.Authenticator}
	p.Add(rfc2869.MessageAuthenticator_Type, make(radius.Attribute, md5.Size))
	for _, chunk := range splitText(r.message, maxAttrValue) {
		p.Add(rfc2865.ReplyMessage_Type, radius.Attribute(chunk))
	}
	if len(r.state) > 0 {
		p.Add(rfc2865.State_Type, radius.Attribute(r.state))
	}
	p.Attributes = append(p.Attributes, r.attrs...)
	for _, ps := range values(req.Attributes, rfc2865.ProxyState_Type) {
		p.Add(rfc2865.ProxyState_Type, ps)
	}
	b, err := p.MarshalBinary()
	if err != nil {
		return nil, fmt.Errorf("radiussrv: encode %v: %w", r.code, err)
	}
	s.sign(b)
	return b, nil
}

// sign fills in the Message-Authenticator (the first attribute) and then
// the Response Authenticator of the encoded reply b, whose authenticator
// field holds the Request Authenticator.
func (s *signer) sign(b []byte) {
	ma := s.messageAuthenticator(b, 20)
	copy(b[22:20+maLen], ma[:])
	h := md5.New()
	h.Write(b)
	h.Write(s.key)
	h.Sum(b[4:4:20])
}

// splitText cuts s into pieces of at most n bytes without splitting a UTF-8
// sequence, for attributes that may repeat (Reply-Message, RFC 2865 §5.18).
func splitText(s string, n int) []string {
	var out []string
	for len(s) > n {
		cut := n
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		if cut == 0 {
			cut = n
		}
		out = append(out, s[:cut])
		s = s[cut:]
	}
	if s != "" {
		out = append(out, s)
	}
	return out
}
