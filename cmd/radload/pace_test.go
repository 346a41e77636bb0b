package main

import (
	"context"
	"testing"
	"time"
)

func TestPacerRelease(t *testing.T) {
	start := time.Unix(1_700_000_000, 0)
	tests := []struct {
		name       string
		rate       float64
		backlog    int
		times      []time.Duration // release calls, as offsets from start
		wantIssued uint64
		wantMissed uint64
		wantNext   time.Duration // after the last call
	}{
		{"before the start", 100, 10, []time.Duration{-time.Second}, 0, 0, 0},
		{"the first at the start", 100, 10, []time.Duration{0}, 1, 0, 10 * time.Millisecond},
		{"a batch fits the backlog", 1000, 10, []time.Duration{9 * time.Millisecond}, 10, 0, 10 * time.Millisecond},
		{"over the backlog is missed", 1000, 4, []time.Duration{9 * time.Millisecond}, 10, 6, 10 * time.Millisecond},
		{"steady releases", 10, 10, []time.Duration{0, 100 * time.Millisecond, 250 * time.Millisecond}, 3, 0, 300 * time.Millisecond},
		{"fractional rate", 0.5, 10, []time.Duration{3 * time.Second}, 2, 0, 4 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newPacer(tt.rate, tt.backlog, start, func() time.Time { return start })
			var next time.Time
			for _, d := range tt.times {
				next = p.release(start.Add(d))
			}
			if p.issued != tt.wantIssued || p.missed.Load() != tt.wantMissed {
				t.Errorf("issued %d missed %d, want %d and %d", p.issued, p.missed.Load(), tt.wantIssued, tt.wantMissed)
			}
			if got := next.Sub(start); got != tt.wantNext {
				t.Errorf("next due at %v, want %v", got, tt.wantNext)
			}
		})
	}
}

func TestPacerWaitAndReport(t *testing.T) {
	start := time.Unix(1_700_000_000, 0)
	now := start.Add(25 * time.Millisecond)
	p := newPacer(100, 2, start, func() time.Time { return now })
	p.release(now) // send times at 0, 10 and 20 ms: the third does not fit the backlog
	w := &worker{budget: newBudget(0)}
	for range 2 {
		if !p.wait(t.Context(), w) {
			t.Fatal("wait returned false with a send time in the backlog")
		}
	}
	// Send time 0 is 25 ms old (late); 10 ms is 15 ms old (late too).
	want(t, "paced", w.c.paced, 2)
	want(t, "late", w.c.late, 2)
	p.release(start.Add(35 * time.Millisecond)) // 30 ms: fits again
	r := p.report(w.c)
	if r.Scheduled != 4 || r.Sent != 2 || r.Missed != 2 || r.Late != 2 || r.Target != 100 {
		t.Errorf("report %+v, want scheduled 4 = sent 2 + missed 2 (one dropped, one left waiting)", r)
	}

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	empty := newPacer(100, 1, start, func() time.Time { return now })
	if empty.wait(ctx, w) {
		t.Error("wait returned true after its context ended")
	}
	spent := &worker{budget: newBudget(1)}
	spent.budget.take()
	if empty.wait(t.Context(), spent) {
		t.Error("wait returned true with the budget spent")
	}
}

func TestEndToEndRate(t *testing.T) {
	tests := []struct {
		name        string
		drop        bool
		concurrency int
		rate        float64
		check       func(t *testing.T, r *report)
	}{
		{"paced below capacity", false, 4, 200, func(t *testing.T, r *report) {
			// 0.5 s at 200/s: 101 send times, every one sent.
			if r.Rate.Scheduled < 90 || r.Rate.Scheduled > 101 || r.Rate.Missed > 2 {
				t.Errorf("rate %+v", r.Rate)
			}
			// A request still in flight when the run ends was sent but has
			// no answer to count: up to one per worker.
			inFlight := r.Rate.Scheduled - r.Rate.Missed - r.Requests
			if inFlight > 4 || r.Requests > r.Rate.Scheduled || r.Accepts != r.Requests {
				t.Errorf("requests %d accepts %d rate %+v", r.Requests, r.Accepts, r.Rate)
			}
		}},
		{"busy workers miss send times", true, 1, 200, func(t *testing.T, r *report) {
			// One worker waits 100 ms per request: about 5 sent of 101.
			if r.Rate.Missed < 80 || r.Rate.Sent+r.Rate.Missed != r.Rate.Scheduled || r.Rate.Late == 0 {
				t.Errorf("rate %+v", r.Rate)
			}
			want(t, "requests", r.Requests, r.Rate.Sent)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeServer{secret: []byte("shared"), replySecret: []byte("shared"), drop: tt.drop,
				now: func() time.Time { return midStep }}
			cfg := testConfig(startFake(t, f, 0), scenStatus, 0)
			cfg.concurrency, cfg.rate, cfg.duration = tt.concurrency, tt.rate, 500*time.Millisecond
			cfg.timeout = 100 * time.Millisecond
			r, err := execute(t.Context(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			if r.Rate == nil || r.Rate.Target != tt.rate {
				t.Fatalf("rate report %+v", r.Rate)
			}
			tt.check(t, r)
		})
	}
}
