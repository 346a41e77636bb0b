package ldap

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	goldap "github.com/go-ldap/ldap/v3"

	"radiusd/directory"
)

// uacAccountDisable is the ACCOUNTDISABLE bit of AD's userAccountControl.
const uacAccountDisable = 0x2

// adOutcome is what an AD bind sub-code means.
type adOutcome struct {
	err    error  // the sentinel returned to the caller
	reason string // for the log line
}

// adOutcomes maps the sub-codes AD puts into the diagnostic message of a
// failed bind ("… AcceptSecurityContext error, data 52e, v4563").
var adOutcomes = map[string]adOutcome{
	"525": {directory.ErrInvalidCredentials, "user not found"},
	"52e": {directory.ErrInvalidCredentials, "invalid credentials"},
	"530": {directory.ErrDisabled, "logon not permitted at this time"},
	"531": {directory.ErrDisabled, "logon not permitted at this workstation"},
	"532": {directory.ErrDisabled, "password expired"},
	"533": {directory.ErrDisabled, "account disabled"},
	"701": {directory.ErrDisabled, "account expired"},
	"773": {directory.ErrDisabled, "password must be reset"},
	"775": {directory.ErrDisabled, "account locked out"},
}

// adSubCode extracts the hexadecimal sub-code that follows "data " in an
// AD bind diagnostic message, in lower case. ok is false when there is
// none (OpenLDAP, or another AD error).
func adSubCode(diag string) (code string, ok bool) {
	rest := diag
	for {
		i := strings.Index(rest, "data ")
		if i < 0 {
			return "", false
		}
		rest = rest[i+len("data "):]
		n := 0
		for n < len(rest) && n <= 8 && isHex(rest[n]) {
			n++
		}
		if n > 0 && n <= 8 && (n == len(rest) || rest[n] == ',' || rest[n] == ' ') {
			return strings.ToLower(rest[:n]), true
		}
	}
}

func isHex(b byte) bool {
	return ('0' <= b && b <= '9') || ('a' <= b && b <= 'f') || ('A' <= b && b <= 'F')
}

// bindRefusal maps a failed user bind (LDAP result 49) to a sentinel, with
// the AD sub-code and its reason when the message carries one ("" if not).
// Unknown sub-codes are invalid credentials.
func bindRefusal(err error) (code, reason string, sentinel error) {
	var le *goldap.Error
	if !errors.As(err, &le) || le.Err == nil {
		return "", "", directory.ErrInvalidCredentials
	}
	code, ok := adSubCode(le.Err.Error())
	if !ok {
		return "", "", directory.ErrInvalidCredentials
	}
	if o, known := adOutcomes[code]; known {
		return code, o.reason, o.err
	}
	return code, "unknown sub-code", directory.ErrInvalidCredentials
}

// accountDisabled reads AD's userAccountControl value (decimal, possibly
// negative as AD stores a signed 32-bit integer); "" (attribute absent)
// means enabled. A value that is not a number is an error: fail closed.
func accountDisabled(uac string) (bool, error) {
	if uac == "" {
		return false, nil
	}
	v, err := strconv.ParseInt(strings.TrimSpace(uac), 10, 64)
	if err != nil {
		return false, fmt.Errorf("ldap: userAccountControl %q is not a number", uac)
	}
	return v&uacAccountDisable != 0, nil
}

// primaryGroupSID returns the SID of a user's primary group (usually Domain
// Users, which AD does not list in the group's member attribute): the
// user's binary objectSid with its last sub-authority (the user's RID)
// replaced by primaryGroupID. ok is false when either is missing or
// malformed.
func primaryGroupSID(userSID []byte, primaryGroupID string) (sid []byte, ok bool) {
	// revision, sub-authority count n, 6-byte authority, n little-endian uint32s
	if len(userSID) < 12 || userSID[0] != 1 || len(userSID) != 8+4*int(userSID[1]) {
		return nil, false
	}
	rid, err := strconv.ParseUint(strings.TrimSpace(primaryGroupID), 10, 32)
	if err != nil {
		return nil, false
	}
	sid = slices.Clone(userSID)
	binary.LittleEndian.PutUint32(sid[len(sid)-4:], uint32(rid))
	return sid, true
}

// escapeBinary writes every byte of b as a \xx filter escape (RFC 4515).
func escapeBinary(b []byte) string {
	var sb strings.Builder
	for _, c := range b {
		fmt.Fprintf(&sb, "\\%02x", c)
	}
	return sb.String()
}
