package otp

import (
	"container/list"
	"slices"
	"sync"
	"time"
)

// DriftWarnInterval is the least time between two warnings of a DriftMonitor.
const DriftWarnInterval = 10 * time.Minute

// DriftMonitor notices when most users' codes match a step off the server's
// current step in the same direction, which means the server clock, not the
// users' phones, is probably wrong. It remembers the latest offset of the
// most recent distinct users. It is safe for concurrent use.
type DriftMonitor struct {
	window    int
	threshold float64

	mu       sync.Mutex
	order    *list.List               // of *driftEntry, most recent first
	users    map[string]*list.Element // user → element of order
	lastWarn time.Time                // zero until the first warning
}

type driftEntry struct {
	user   string
	offset int
}

// NewDriftMonitor returns a monitor over the last window distinct users
// (at least 1) that warns when at least threshold (a fraction, e.g. 0.8;
// meaningful in (0.5, 1]) of them share the same nonzero sign of offset.
func NewDriftMonitor(window int, threshold float64) *DriftMonitor {
	return &DriftMonitor{
		window:    max(window, 1),
		threshold: threshold,
		order:     list.New(),
		users:     make(map[string]*list.Element),
	}
}

// Observe records offset (Match.Offset of an accepted code) as user's latest.
// It returns warn=true when the monitor holds window users, at least
// threshold of them have offsets of the same nonzero sign, and no warning
// was given in the DriftWarnInterval before now. median is the median
// (upper median for an even count) of the recorded offsets, in steps.
func (m *DriftMonitor) Observe(user string, offset int, now time.Time) (warn bool, median int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.record(user, offset)
	offsets, pos, neg := m.offsets()
	slices.Sort(offsets)
	median = offsets[len(offsets)/2]
	n := len(offsets)
	skewed := n >= m.window && max(pos, neg) > 0 &&
		float64(max(pos, neg)) >= m.threshold*float64(n)
	if !skewed || (!m.lastWarn.IsZero() && now.Sub(m.lastWarn) < DriftWarnInterval) {
		return false, median
	}
	m.lastWarn = now
	return true, median
}

// offsets returns the recorded offsets and how many are positive and
// negative. The caller holds m.mu.
func (m *DriftMonitor) offsets() (offsets []int, pos, neg int) {
	offsets = make([]int, 0, m.order.Len())
	for e := m.order.Front(); e != nil; e = e.Next() {
		o := e.Value.(*driftEntry).offset
		offsets = append(offsets, o)
		switch {
		case o > 0:
			pos++
		case o < 0:
			neg++
		}
	}
	return offsets, pos, neg
}

// record stores user's offset as the most recent and evicts the oldest
// users beyond the window. The caller holds m.mu.
func (m *DriftMonitor) record(user string, offset int) {
	if e, ok := m.users[user]; ok {
		e.Value.(*driftEntry).offset = offset
		m.order.MoveToFront(e)
		return
	}
	m.users[user] = m.order.PushFront(&driftEntry{user: user, offset: offset})
	for m.order.Len() > m.window {
		oldest := m.order.Back()
		delete(m.users, oldest.Value.(*driftEntry).user)
		m.order.Remove(oldest)
	}
}

// Median returns the median offset, in steps, of the recorded users (upper
// median for an even count) and how many users it is taken over.
func (m *DriftMonitor) Median() (median, users int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	offsets, _, _ := m.offsets()
	if len(offsets) == 0 {
		return 0, 0
	}
	slices.Sort(offsets)
	return offsets[len(offsets)/2], len(offsets)
}
