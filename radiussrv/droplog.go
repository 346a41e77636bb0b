package radiussrv

import (
	"log/slog"
	"net/netip"
	"sync"
	"time"
)

// dropLogInterval is the least time between two drop log lines of one
// reason: a flood of bad packets must not fill the log.
const dropLogInterval = time.Second

// dropLog writes at most one Warn line per drop reason per interval,
// carrying the number of drops since the previous line.
type dropLog struct {
	log     *slog.Logger
	now     func() time.Time
	reasons [dropReasonCount]dropLimiter
}

type dropLimiter struct {
	mu     sync.Mutex
	last   time.Time
	logged bool
	count  uint64 // drops not yet reported
}

func newDropLog(logger *slog.Logger, now func() time.Time) *dropLog {
	return &dropLog{log: logger, now: now}
}

// drop records one drop and logs it unless a line for the same reason was
// written less than dropLogInterval ago. client is "" when unknown.
func (d *dropLog) drop(reason, client string, remote netip.AddrPort) {
	l := &d.reasons[dropIndex(reason)]
	now := d.now()
	l.mu.Lock()
	l.count++
	if l.logged && now.Sub(l.last) < dropLogInterval {
		l.mu.Unlock()
		return
	}
	count := l.count
	l.count, l.last, l.logged = 0, now, true
	l.mu.Unlock()
	d.log.Warn("radius packet dropped",
		"reason", reason, "client", client, "remote", remote.String(), "count", count)
}
