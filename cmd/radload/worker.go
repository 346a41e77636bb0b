package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net"
	"sync/atomic"
	"time"

	"layeh.com/radius"
)

// errBudget ends a worker when the run's --max-requests are spent.
var errBudget = errors.New("radload: request budget spent")

// budget hands out at most max requests across all workers (0: unlimited).
// It is safe for concurrent use.
type budget struct {
	max  uint64
	n    atomic.Uint64
	done chan struct{} // closed when the last request is taken
}

// newBudget returns a budget of max requests (0: unlimited).
func newBudget(max uint64) *budget {
	return &budget{max: max, done: make(chan struct{})}
}

// take reports whether one more request may be sent.
func (b *budget) take() bool {
	if b.max == 0 {
		return true
	}
	n := b.n.Add(1)
	if n == b.max {
		close(b.done)
	}
	return n <= b.max
}

// spent returns a channel closed once every request has been taken; it
// never closes for an unlimited budget.
func (b *budget) spent() <-chan struct{} { return b.done }

// outcome is how one transmission ended.
type outcome int

const (
	gotReply outcome = iota
	timedOut
	invalidReply
	socketError
)

// worker is one closed-loop client: its own connected UDP socket, its own
// Identifier counter and one request in flight at a time. Its histogram and
// counts are read only after it has stopped.
type worker struct {
	conn    *net.UDPConn
	secret  []byte
	timeout time.Duration
	retries int
	budget  *budget
	rand    io.Reader
	nextID  byte
	buf     []byte
	hist    histogram
	c       counts
	mix     mixState // the mixed scenario's memory
}

// newWorker returns a worker sending on conn, with a random first Identifier.
func newWorker(conn *net.UDPConn, secret []byte, timeout time.Duration, retries int, b *budget) (*worker, error) {
	w := &worker{conn: conn, secret: secret, timeout: timeout, retries: retries, budget: b,
		rand: rand.Reader, buf: make([]byte, radius.MaxPacketLength+1)}
	var id [1]byte
	if _, err := io.ReadFull(w.rand, id[:]); err != nil {
		return nil, fmt.Errorf("radload: random identifier: %w", err)
	}
	w.nextID = id[0]
	return w, nil
}

// newRequest encodes a request with the worker's next Identifier and a fresh
// random Request Authenticator.
func (w *worker) newRequest(code radius.Code, user string, password []byte) (outgoing, error) {
	var auth [authLen]byte
	if _, err := io.ReadFull(w.rand, auth[:]); err != nil {
		return outgoing{}, fmt.Errorf("radload: random authenticator: %w", err)
	}
	id := w.nextID
	w.nextID++
	return encodeRequest(code, id, auth, user, password, w.secret)
}

// exchange sends out, retransmitting the identical bytes after each timeout
// up to the worker's retries, and records the result against expect. It
// returns the verified reply (valid until the next exchange) or nil when
// there was none. It returns an error only when the run must stop: ctx
// ended or the request budget is spent.
func (w *worker) exchange(ctx context.Context, out outgoing, expect radius.Code) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if !w.budget.take() {
		return nil, errBudget
	}
	w.c.requests++
	start := time.Now()
	for try := 0; try <= w.retries; try++ {
		if try > 0 {
			w.c.retransmits++
		}
		reply, res := w.roundTrip(out)
		switch res {
		case timedOut:
			continue
		case invalidReply:
			w.c.invalid++
		case socketError: // counted by roundTrip
		case gotReply:
			w.hist.record(time.Since(start))
			w.tally(radius.Code(reply[0]), expect)
		}
		return reply, nil
	}
	w.c.timeouts++
	return nil, nil
}

// roundTrip sends out once and waits up to the timeout for a reply carrying
// its Identifier, discarding replies to earlier requests. A socket error
// (such as ICMP port unreachable when no server listens) is counted and the
// wait goes on, so a missing server shows as timeouts at the --timeout pace
// instead of a busy loop; only a closed socket ends the wait at once.
func (w *worker) roundTrip(out outgoing) ([]byte, outcome) {
	if err := w.conn.SetReadDeadline(time.Now().Add(w.timeout)); err != nil {
		w.c.errors++
		return nil, socketError
	}
	if _, err := w.conn.Write(out.b); err != nil {
		if w.socketFailed(err) {
			return nil, socketError
		}
	}
	for {
		n, err := w.conn.Read(w.buf)
		var ne net.Error
		switch {
		case errors.As(err, &ne) && ne.Timeout():
			return nil, timedOut
		case err != nil:
			if w.socketFailed(err) {
				return nil, socketError
			}
			continue
		case n >= 2 && w.buf[1] != out.id:
			w.c.stale++
			continue
		}
		reply, err := verifyResponse(w.buf[:n], out.auth, w.secret)
		if err != nil {
			return nil, invalidReply
		}
		return reply, gotReply
	}
}

// socketFailed counts a socket error and reports whether the socket is
// unusable (closed), as opposed to a transient error such as ECONNREFUSED.
func (w *worker) socketFailed(err error) bool {
	w.c.errors++
	return errors.Is(err, net.ErrClosed)
}

// tally counts a verified reply's code and whether it was expected.
func (w *worker) tally(code, expect radius.Code) {
	switch code {
	case radius.CodeAccessAccept:
		w.c.accepts++
	case radius.CodeAccessReject:
		w.c.rejects++
	case radius.CodeAccessChallenge:
		w.c.challenges++
	default:
		w.c.other++
	}
	if code != expect {
		w.c.unexpected++
	}
}
