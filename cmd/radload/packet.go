package main

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"fmt"

	"layeh.com/radius"
	"layeh.com/radius/rfc2865"
)

// Attribute types that radload writes by number.
const (
	typeMessageAuthenticator = 80 // RFC 3579 §3.2
	headerLen                = 20
	authLen                  = 16
)

// nasIdentifier is sent in every request so server logs show the load.
const nasIdentifier = "radload"

// Reasons a reply is counted as invalid.
var (
	errShortReply       = errors.New("radload: reply shorter than its header or length field")
	errBadAttributes    = errors.New("radload: malformed attributes")
	errResponseAuth     = errors.New("radload: response authenticator does not verify")
	errMessageAuth      = errors.New("radload: message-authenticator does not verify")
	errNoMessageAuthReq = errors.New("radload: request has no message-authenticator")
)

// outgoing is one encoded request, kept for retransmission and for
// verifying its reply.
type outgoing struct {
	b    []byte
	id   byte
	auth [authLen]byte
}

// findAttr returns the offset in the wire packet b of the value of the first
// attribute of type t, or -1 if there is none. b must be a whole packet
// whose length field has been checked.
func findAttr(b []byte, t byte) (int, error) {
	for off := headerLen; off < len(b); {
		if off+2 > len(b) || b[off+1] < 2 || off+int(b[off+1]) > len(b) {
			return -1, errBadAttributes
		}
		if b[off] == t {
			return off + 2, nil
		}
		off += int(b[off+1])
	}
	return -1, nil
}

// messageAuthenticator returns HMAC-MD5(secret, b) with the 16 bytes at
// valueOff zeroed and the authenticator field replaced by auth
// (RFC 3579 §3.2). b is not modified.
func messageAuthenticator(b []byte, valueOff int, auth, secret []byte) []byte {
	var zero [authLen]byte
	mac := hmac.New(md5.New, secret)
	mac.Write(b[:4])
	mac.Write(auth)
	mac.Write(b[headerLen:valueOff])
	mac.Write(zero[:])
	mac.Write(b[valueOff+authLen:])
	return mac.Sum(nil)
}

// signRequest fills in the Message-Authenticator of the request b in place.
// For Access-Request and Status-Server the HMAC covers the packet with its
// own Request Authenticator.
func signRequest(b, secret []byte) error {
	off, err := findAttr(b, typeMessageAuthenticator)
	if err != nil {
		return err
	}
	if off < 0 || off+authLen > len(b) || b[off-1] != 2+authLen {
		return errNoMessageAuthReq
	}
	copy(b[off:off+authLen], messageAuthenticator(b, off, b[4:headerLen], secret))
	return nil
}

// verifyResponse checks a reply's length, Response Authenticator (RFC 2865
// §3) and, if present, Message-Authenticator, which RFC 3579 §3.2 computes
// with the Request Authenticator in place of the Response Authenticator.
// It returns the reply trimmed to its length field.
func verifyResponse(resp []byte, reqAuth [authLen]byte, secret []byte) ([]byte, error) {
	if len(resp) < headerLen {
		return nil, errShortReply
	}
	n := int(binary.BigEndian.Uint16(resp[2:4]))
	if n < headerLen || n > len(resp) {
		return nil, errShortReply
	}
	resp = resp[:n]
	off, err := findAttr(resp, typeMessageAuthenticator)
	if err != nil {
		return nil, err
	}
	if !radius.IsAuthenticResponse(resp, append(make([]byte, 4, headerLen), reqAuth[:]...), secret) {
		return nil, errResponseAuth
	}
	if off < 0 {
		return resp, nil
	}
	if resp[off-1] != 2+authLen {
		return nil, errMessageAuth
	}
	want := messageAuthenticator(resp, off, reqAuth[:], secret)
	if subtle.ConstantTimeCompare(want, resp[off:off+authLen]) != 1 {
		return nil, errMessageAuth
	}
	return resp, nil
}

// encodeRequest builds a request with the given code, Identifier and
// Request Authenticator: Message-Authenticator first, then User-Name and
// User-Password if user is not empty, then NAS-Identifier; and signs it.
func encodeRequest(code radius.Code, id byte, auth [authLen]byte, user string, password, secret []byte) (outgoing, error) {
	p := &radius.Packet{Code: code, Identifier: id, Authenticator: auth, Secret: secret}
	p.Add(typeMessageAuthenticator, make(radius.Attribute, authLen))
	if user != "" {
		pw, err := radius.NewUserPassword(password, secret, auth[:])
		if err != nil {
			return outgoing{}, fmt.Errorf("radload: encode user-password: %w", err)
		}
		p.Add(rfc2865.UserName_Type, radius.Attribute(user))
		p.Add(rfc2865.UserPassword_Type, pw)
	}
	p.Add(rfc2865.NASIdentifier_Type, radius.Attribute(nasIdentifier))
	b, err := p.MarshalBinary()
	if err != nil {
		return outgoing{}, fmt.Errorf("radload: encode request: %w", err)
	}
	if err := signRequest(b, secret); err != nil {
		return outgoing{}, err
	}
	return outgoing{b: b, id: id, auth: auth}, nil
}
