package radiussrv

import (
	"sync/atomic"

	"radiusd/auth"
)

// Drop reasons: why a packet was silently discarded. They are the keys of
// Stats.Drops and the reason attribute of the rate-limited drop log line.
const (
	DropUnknownClient       = "unknown_client"                // source address matches no client (RFC 2865 §3)
	DropBadAuthenticator    = "bad_authenticator"             // Message-Authenticator does not verify
	DropMissingMA           = "missing_message_authenticator" // required Message-Authenticator absent
	DropMalformed           = "malformed"                     // bad length, attribute or Message-Authenticator framing
	DropDuplicateInFlight   = "duplicate_in_flight"           // retransmission of a request still being decided
	DropUnsupportedCode     = "unsupported_code"              // neither Access-Request nor Status-Server
	DropProxyStateWithoutMA = "proxy_state_without_ma"        // Proxy-State without Message-Authenticator (BlastRADIUS)
	DropOverloaded          = "overloaded"                    // MaxInFlight packets already being handled
	DropSendFailed          = "send_failed"                   // the reply could not be written to the socket
)

const (
	dropReasonCount = 9
	resultCount     = 3 // auth.Reject, auth.Accept, auth.Challenge
)

var dropReasons = [dropReasonCount]string{
	DropUnknownClient, DropBadAuthenticator, DropMissingMA, DropMalformed,
	DropDuplicateInFlight, DropUnsupportedCode, DropProxyStateWithoutMA, DropOverloaded, DropSendFailed,
}

func dropIndex(reason string) int {
	for i, r := range dropReasons {
		if r == reason {
			return i
		}
	}
	panic("radiussrv: unknown drop reason " + reason)
}

// Stats is a snapshot of a Server's counters since New.
type Stats struct {
	// Drops counts silently discarded packets by reason (the Drop*
	// constants); every reason is present, zero or not.
	Drops map[string]uint64
	// Requests counts answered Access-Requests by result: "accept",
	// "reject" and "challenge" (duplicates answered from the cache are not
	// counted again).
	Requests map[string]uint64
	// StatusServer counts answered Status-Server requests (RFC 5997).
	StatusServer uint64
	// DuplicatesAnswered counts retransmissions answered with cached bytes.
	DuplicatesAnswered uint64
}

// counters are the live, lock-free counters behind Stats.
type counters struct {
	drops        [dropReasonCount]atomic.Uint64
	results      [resultCount]atomic.Uint64 // indexed by auth.Result
	statusServer atomic.Uint64
	duplicates   atomic.Uint64
}

func (c *counters) result(r auth.Result) {
	if r < 0 || int(r) >= resultCount {
		r = auth.Reject
	}
	c.results[r].Add(1)
}

// Stats returns a snapshot of the server's counters. It is safe to call
// concurrently with request handling.
func (s *Server) Stats() Stats {
	st := Stats{
		Drops:              make(map[string]uint64, dropReasonCount),
		Requests:           make(map[string]uint64, resultCount),
		StatusServer:       s.stats.statusServer.Load(),
		DuplicatesAnswered: s.stats.duplicates.Load(),
	}
	for i, r := range dropReasons {
		st.Drops[r] = s.stats.drops[i].Load()
	}
	for _, r := range []auth.Result{auth.Reject, auth.Accept, auth.Challenge} {
		st.Requests[r.String()] = s.stats.results[r].Load()
	}
	return st
}
