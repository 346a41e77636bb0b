package auth

import (
	"fmt"
	"net/netip"
)

// Mode is how a RADIUS client's users present their second factor
// (PRODUCT.md §3).
type Mode string

// Client modes.
const (
	ModePasswordOTP  Mode = "password+otp"  // password with the code appended (default)
	ModeChallenge    Mode = "challenge"     // password, then Access-Challenge for the code
	ModeAuto         Mode = "auto"          // password+code, or password then challenge
	ModeOTPOnly      Mode = "otp-only"      // the code (or a recovery code) alone
	ModePasswordOnly Mode = "password-only" // no second factor; 2FA users are rejected
)

// Modes lists every valid Mode, in documentation order.
var Modes = []Mode{ModePasswordOTP, ModeChallenge, ModeAuto, ModeOTPOnly, ModePasswordOnly}

// ParseMode returns the Mode named s, or an error listing the valid ones.
func ParseMode(s string) (Mode, error) {
	for _, m := range Modes {
		if string(m) == s {
			return m, nil
		}
	}
	return "", fmt.Errorf("%q is not one of password+otp, challenge, auto, otp-only, password-only", s)
}

// Request is one PAP Access-Request as the decision logic sees it. Password
// is the decrypted User-Password: it must stay in local variables and never
// be logged, wrapped into an error or stored.
type Request struct {
	Client    string         // the client's configured name
	Mode      Mode           // the client's mode
	Separator string         // optional password/code separator (password+otp, auto)
	Username  string         // User-Name as received (not yet normalised)
	Password  string         // decrypted User-Password
	State     []byte         // State attribute, present on a challenge answer
	Remote    netip.AddrPort // source of the request, for logging
}

// Result is the RADIUS answer the decision asks for.
type Result int

// Results.
const (
	Reject Result = iota // the zero value rejects (fail closed)
	Accept
	Challenge
)

// String returns "reject", "accept" or "challenge".
func (r Result) String() string {
	switch r {
	case Accept:
		return "accept"
	case Challenge:
		return "challenge"
	default:
		return "reject"
	}
}

// Decision is the outcome of Authenticate.
type Decision struct {
	Result       Result
	User         string   // normalised user name ("" if the name was invalid)
	Reason       string   // stable snake_case reason for the log line
	ReplyMessage string   // text for the user; never says which factor failed
	State        []byte   // State attribute for an Access-Challenge
	Groups       []string // the user's directory groups, on Accept
}
