package radiussrv

import (
	"crypto/hmac"
	"crypto/md5"
	"errors"
	"hash"
	"sync"

	"layeh.com/radius/rfc2869"
)

// maLen is the wire length of a Message-Authenticator attribute: type,
// length and a 16-byte HMAC-MD5 (RFC 3579 §3.2).
const maLen = 2 + md5.Size

var (
	errMalformedMA = errors.New("radiussrv: malformed message-authenticator")
	errBadMA       = errors.New("radiussrv: message-authenticator does not verify")
)

// findMessageAuthenticator returns the offset in pkt of the single
// Message-Authenticator attribute, or -1 if there is none. pkt must be a
// packet whose attributes radius.Parse accepted, cut to its Length field.
// More than one Message-Authenticator, or one whose length is not 18, is
// errMalformedMA (RFC 3579 §3.2).
func findMessageAuthenticator(pkt []byte) (int, error) {
	off := -1
	for i := 20; i+2 <= len(pkt); i += int(pkt[i+1]) {
		if pkt[i+1] < 2 {
			return -1, errMalformedMA // unreachable after radius.Parse
		}
		if pkt[i] != byte(rfc2869.MessageAuthenticator_Type) {
			continue
		}
		if off >= 0 || pkt[i+1] != maLen {
			return -1, errMalformedMA
		}
		off = i
	}
	return off, nil
}

// signer computes one client's HMAC-MD5 Message-Authenticators. Keyed
// HMAC states are pooled and reset between uses, so that verifying and
// signing a packet allocates nothing.
type signer struct {
	key  []byte
	macs sync.Pool // of hash.Hash, keyed with key
}

func newSigner(key []byte) *signer {
	s := &signer{key: key}
	s.macs.New = func() any { return hmac.New(md5.New, key) }
	return s
}

// messageAuthenticator returns HMAC-MD5(key, pkt) computed with the
// Message-Authenticator value at off taken as zero (RFC 3579 §3.2, RFC 2869
// §5.14). For a request pkt[4:20] is its Request Authenticator; for a reply
// the caller puts the Request Authenticator there first.
func (s *signer) messageAuthenticator(pkt []byte, off int) [md5.Size]byte {
	var zero, sum [md5.Size]byte
	h := s.macs.Get().(hash.Hash)
	h.Reset()
	h.Write(pkt[:off+2])
	h.Write(zero[:])
	h.Write(pkt[off+maLen:])
	h.Sum(sum[:0])
	s.macs.Put(h)
	return sum
}

// verifyMessageAuthenticator checks, in constant time, the
// Message-Authenticator at off in the request pkt.
func (s *signer) verifyMessageAuthenticator(pkt []byte, off int) error {
	want := s.messageAuthenticator(pkt, off)
	if !hmac.Equal(want[:], pkt[off+2:off+maLen]) {
		return errBadMA
	}
	return nil
}
