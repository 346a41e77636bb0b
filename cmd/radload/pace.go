package main

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// Pacing of an open-loop run (--rate).
const (
	// lateAfter: a request that leaves more than this after its scheduled
	// time counts as late.
	lateAfter = 10 * time.Millisecond
	// minPaceSleep: the pacer wakes at most once per this interval and then
	// releases every send time that is due, so a high rate costs no more
	// than a thousand wake-ups a second.
	minPaceSleep = time.Millisecond
	// maxRate bounds --rate.
	maxRate = 1_000_000
)

// pacer releases send times at a fixed total rate for every worker of a
// run: an open loop, unlike the default closed loop in which each worker
// sends as soon as its last request is answered. Send times wait in a
// backlog of one per worker; a send time that finds the backlog full (every
// worker busy, and as many send times already waiting) is dropped and
// counted as missed, and so is one still waiting when the run ends.
// wait is safe for concurrent use by the workers; release and run belong to
// one goroutine.
type pacer struct {
	start  time.Time
	rate   float64 // send times per second
	now    func() time.Time
	tokens chan time.Time // backlog of send times
	issued uint64         // send times released so far (run's goroutine only)
	missed atomic.Uint64
}

// newPacer returns a pacer of rate send times a second from start, with a
// backlog of the given size (at least 1).
func newPacer(rate float64, backlog int, start time.Time, now func() time.Time) *pacer {
	return &pacer{start: start, rate: rate, now: now, tokens: make(chan time.Time, max(backlog, 1))}
}

// at returns the scheduled time of send time k (the first is k = 0).
func (p *pacer) at(k uint64) time.Time {
	return p.start.Add(time.Duration(float64(k) * float64(time.Second) / p.rate))
}

// due returns how many send times are scheduled at or before now.
func (p *pacer) due(now time.Time) uint64 {
	d := now.Sub(p.start)
	if d < 0 {
		return 0
	}
	return uint64(d.Seconds()*p.rate) + 1
}

// release offers every send time due at now to the backlog, counting those
// that do not fit as missed, and returns when the next one is due.
func (p *pacer) release(now time.Time) time.Time {
	for n := p.due(now); p.issued < n; p.issued++ {
		select {
		case p.tokens <- p.at(p.issued):
		default:
			p.missed.Add(1)
		}
	}
	return p.at(p.issued)
}

// run releases send times until ctx ends or stop is closed.
func (p *pacer) run(ctx context.Context, stop <-chan struct{}) {
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-stop:
			return
		case <-timer.C:
		}
		next := p.release(p.now())
		timer.Reset(max(next.Sub(p.now()), minPaceSleep))
	}
}

// wait blocks until a send time is released for w, counting it as late
// when it is more than lateAfter past. It returns false when ctx ends or
// the request budget is spent first.
func (p *pacer) wait(ctx context.Context, w *worker) bool {
	select {
	case <-ctx.Done():
		return false
	case <-w.budget.spent():
		return false
	case at := <-p.tokens:
		w.c.paced++
		if p.now().Sub(at) > lateAfter {
			w.c.late++
		}
		return true
	}
}

// rateReport describes the pacing of an open-loop run.
type rateReport struct {
	Target    float64 `json:"target_per_second"`
	Scheduled uint64  `json:"scheduled"`
	Sent      uint64  `json:"sent"`
	Missed    uint64  `json:"missed"`
	Late      uint64  `json:"late"`
}

// report summarises the pacing once run has returned and every worker has
// stopped: sent and late come from the workers' counts, and send times
// still in the backlog count as missed.
func (p *pacer) report(c counts) *rateReport {
	return &rateReport{Target: p.rate, Scheduled: p.issued, Sent: c.paced,
		Missed: p.missed.Load() + uint64(len(p.tokens)), Late: c.late}
}

// startPacer starts r's pacer, if it has one, from start and returns a
// function that stops it and waits for it. The pacer also stops once the
// request budget is spent.
func (r *runner) startPacer(ctx context.Context, start time.Time) (stop func()) {
	if r.pace == nil {
		return func() {}
	}
	r.pace.start = start
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { r.pace.run(ctx, r.budget.spent()) })
	return func() {
		cancel()
		wg.Wait()
	}
}
