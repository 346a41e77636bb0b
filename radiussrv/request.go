package radiussrv

import (
	"bytes"
	"crypto/md5"
	"encoding/binary"
	"errors"
	"unicode/utf8"

	"layeh.com/radius"
	"layeh.com/radius/rfc2865"
	"layeh.com/radius/rfc2869"
)

// Reject reasons decided here, before the Authenticator is asked. They
// appear as the reason of the decision log line.
const (
	reasonEAPUnsupported    = "eap_unsupported"
	reasonMSCHAPUnsupported = "mschap_unsupported"
	reasonCHAPUnsupported   = "chap_unsupported"
	reasonBadUserName       = "bad_user_name"
	reasonMissingPassword   = "missing_password"
	reasonMalformedPassword = "malformed_password"
	reasonBadState          = "bad_state"
)

// maxPasswordLen is the longest User-Password, in bytes (RFC 2865 §5.2).
const maxPasswordLen = 128

// microsoftVendorID is Microsoft's SMI enterprise number (RFC 2548).
const microsoftVendorID = 311

// msCHAPTypes are the RFC 2548 vendor types that carry MS-CHAP or
// MS-CHAPv2 credentials.
var msCHAPTypes = map[byte]bool{
	1: true, 3: true, 4: true, 5: true, 6: true, // MS-CHAP-Response, -CPW-1, -CPW-2, -LM-Enc-PW, -NT-Enc-PW
	11: true, 25: true, 27: true, // MS-CHAP-Challenge, MS-CHAP2-Response, MS-CHAP2-CPW
}

var errMalformedPassword = errors.New("radiussrv: malformed user-password")

// papRequest is a decoded PAP Access-Request. password is secret.
type papRequest struct {
	username string
	password string
	state    []byte
}

// decodePAP extracts the PAP credentials of an Access-Request. A non-empty
// reason means the request must be rejected without asking the
// Authenticator; username is then set if it was valid.
func decodePAP(p *radius.Packet, key []byte) (papRequest, string) {
	var req papRequest
	name, nameOK := userName(p.Attributes)
	if nameOK {
		req.username = name // also for the log line of an unsupported method
	}
	if reason := unsupportedMethod(p.Attributes); reason != "" {
		return req, reason
	}
	if !nameOK {
		return req, reasonBadUserName
	}
	states := values(p.Attributes, rfc2865.State_Type)
	if len(states) > 1 {
		return req, reasonBadState
	}
	if len(states) == 1 {
		req.state = append([]byte(nil), states[0]...)
	}
	pws := values(p.Attributes, rfc2865.UserPassword_Type)
	if len(pws) == 0 {
		return req, reasonMissingPassword
	}
	if len(pws) > 1 {
		return req, reasonMalformedPassword
	}
	pw, err := decryptPassword(pws[0], key, p.Authenticator[:])
	if err != nil {
		return req, reasonMalformedPassword
	}
	req.password = string(pw)
	clear(pw)
	return req, ""
}

// unsupportedMethod names the non-PAP authentication method a request
// carries (EAP, MS-CHAP, CHAP), or returns "".
func unsupportedMethod(attrs radius.Attributes) string {
	if len(values(attrs, rfc2869.EAPMessage_Type)) > 0 {
		return reasonEAPUnsupported
	}
	for _, v := range values(attrs, rfc2865.VendorSpecific_Type) {
		if isMSCHAP(v) {
			return reasonMSCHAPUnsupported
		}
	}
	if len(values(attrs, rfc2865.CHAPPassword_Type)) > 0 {
		return reasonCHAPUnsupported
	}
	return ""
}

// isMSCHAP reports whether a Vendor-Specific value is a Microsoft
// attribute carrying MS-CHAP credentials. Every sub-attribute is checked;
// a malformed tail ends the walk.
func isMSCHAP(v radius.Attribute) bool {
	if len(v) < 6 || binary.BigEndian.Uint32(v) != microsoftVendorID {
		return false
	}
	for sub := v[4:]; len(sub) >= 2; sub = sub[sub[1]:] {
		if msCHAPTypes[sub[0]] {
			return true
		}
		if sub[1] < 2 || int(sub[1]) > len(sub) {
			return false
		}
	}
	return false
}

// userName returns the single User-Name if it is 1–253 bytes of valid
// UTF-8 without NUL (RFC 2865 §5.1).
func userName(attrs radius.Attributes) (string, bool) {
	names := values(attrs, rfc2865.UserName_Type)
	if len(names) != 1 {
		return "", false
	}
	n := names[0]
	if len(n) == 0 || len(n) > 253 || bytes.IndexByte(n, 0) >= 0 || !utf8.Valid(n) {
		return "", false
	}
	return string(n), true
}

// values returns every attribute of type t, in order.
func values(attrs radius.Attributes, t radius.Type) []radius.Attribute {
	var out []radius.Attribute
	for _, a := range attrs {
		if a.Type == t {
			out = append(out, a.Attribute)
		}
	}
	return out
}

// decryptPassword reverses the User-Password hiding of RFC 2865 §5.2:
// p(i) = c(i) XOR MD5(S + c(i-1)), c(0) = Request Authenticator. Only
// trailing NUL padding is removed: a value that is not 16–128 bytes in
// steps of 16, decrypts to nothing, holds an inner NUL or is not valid
// UTF-8 is errMalformedPassword (layeh's radius.UserPassword would cut it
// at the first NUL instead). The caller must clear the result.
func decryptPassword(c, key, reqAuth []byte) ([]byte, error) {
	if len(c) == 0 || len(c)%md5.Size != 0 || len(c) > maxPasswordLen {
		return nil, errMalformedPassword
	}
	p := make([]byte, len(c))
	prev := reqAuth
	var sum [md5.Size]byte
	for i := 0; i < len(c); i += md5.Size {
		h := md5.New()
		h.Write(key)
		h.Write(prev)
		h.Sum(sum[:0])
		for j := range md5.Size {
			p[i+j] = c[i+j] ^ sum[j]
		}
		prev = c[i : i+md5.Size]
	}
	clear(sum[:])
	pw := bytes.TrimRight(p, "\x00")
	if len(pw) == 0 || bytes.IndexByte(pw, 0) >= 0 || !utf8.Valid(pw) {
		clear(p)
		return nil, errMalformedPassword
	}
	return pw, nil
}
