package radiussrv

import (
	"time"

	"radiusd/auth"
)

// Observer is told what the server does, for metrics. Its methods are
// called on the request path, concurrently: they must be fast and must not
// block. They never receive a user name, a password or a secret.
type Observer interface {
	// Decision reports a decided Access-Request: the client's name, its
	// mode, the result, the reason of the log line and the time taken.
	Decision(client string, mode auth.Mode, result auth.Result, reason string, elapsed time.Duration)
	// Drop reports a silently discarded packet with one of the Drop* reasons.
	Drop(reason string)
	// Duplicate reports a retransmission answered from the cache.
	Duplicate()
	// StatusServer reports an answered Status-Server.
	StatusServer()
}

// nopObserver is the Observer of a Server given none.
type nopObserver struct{}

func (nopObserver) Decision(string, auth.Mode, auth.Result, string, time.Duration) {}
func (nopObserver) Drop(string)                                                    {}
func (nopObserver) Duplicate()                                                     {}
func (nopObserver) StatusServer()                                                  {}
