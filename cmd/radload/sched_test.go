package main

import (
	"sync"
	"testing"
	"time"
)

// midStep is a time in the middle of step 56666666, far from any edge.
var midStep = time.Unix(56_666_666*totpPeriod+10, 0)

// drain takes every pair the scheduler hands out at now, releasing each at
// once, and returns them in order.
func drain(t *testing.T, s *codeScheduler, now time.Time) []pick {
	t.Helper()
	var got []pick
	for range 1000 {
		p, st, _ := s.next(now)
		if st != picked {
			if st != exhausted {
				t.Fatalf("status %d, want exhausted", st)
			}
			return got
		}
		got = append(got, p)
		s.release(p.user)
	}
	t.Fatal("scheduler never ran dry")
	return nil
}

func TestSchedulerFreshness(t *testing.T) {
	cur := stepAt(midStep)
	tests := []struct {
		name        string
		users       int
		back, ahead int
		times       []time.Time // drained in order on one scheduler
		wantLen     []int       // pairs handed out at each time
		lo, hi      []int64     // window of steps at each time
	}{
		{"three codes per user", 3, 1, 1, []time.Time{midStep}, []int{9}, []int64{cur - 1}, []int64{cur + 1}},
		{"one new code per user per step", 4, 1, 1,
			[]time.Time{midStep, midStep.Add(totpPeriod * time.Second)}, []int{12, 4},
			[]int64{cur - 1, cur + 2}, []int64{cur + 1, cur + 2}},
		{"skip ahead two steps", 2, 1, 1,
			[]time.Time{midStep, midStep.Add(3 * totpPeriod * time.Second)}, []int{6, 6},
			[]int64{cur - 1, cur + 2}, []int64{cur + 1, cur + 4}},
		{"edge guard drops the previous step", 2, 1, 1,
			[]time.Time{stepStart(cur + 1).Add(-time.Second)}, []int{4}, []int64{cur}, []int64{cur + 1}},
		{"ahead 0: the previous and the current step", 3, 1, 0, []time.Time{midStep}, []int{6},
			[]int64{cur - 1}, []int64{cur}},
		{"ahead 0: one new code per user per step", 2, 1, 0,
			[]time.Time{midStep, midStep.Add(totpPeriod * time.Second)}, []int{4, 2},
			[]int64{cur - 1, cur + 1}, []int64{cur, cur + 1}},
		{"ahead 0 with edge guard: the current step only", 2, 1, 0,
			[]time.Time{stepStart(cur + 1).Add(-time.Second)}, []int{2}, []int64{cur}, []int64{cur}},
		{"back 0, ahead 0: the current step only", 3, 0, 0,
			[]time.Time{midStep, midStep.Add(totpPeriod * time.Second)}, []int{3, 3},
			[]int64{cur, cur + 1}, []int64{cur, cur + 1}},
		{"back 0, ahead 0: nothing in the last half second", 3, 0, 0,
			[]time.Time{stepStart(cur + 1).Add(-400 * time.Millisecond), stepStart(cur + 1)}, []int{0, 3},
			[]int64{cur + 1, cur + 1}, []int64{cur, cur + 1}},
		{"back 0, ahead 1: the next step in the last half second", 2, 0, 1,
			[]time.Time{stepStart(cur + 1).Add(-400 * time.Millisecond)}, []int{2}, []int64{cur + 1}, []int64{cur + 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newCodeScheduler(tt.users, tt.back, tt.ahead)
			seen := map[pick]bool{}
			last := map[int]int64{}
			for i, now := range tt.times {
				got := drain(t, s, now)
				if len(got) != tt.wantLen[i] {
					t.Fatalf("at time %d: %d pairs, want %d: %v", i, len(got), tt.wantLen[i], got)
				}
				for _, p := range got {
					if seen[p] {
						t.Errorf("pair %v handed out twice", p)
					}
					if p.step < tt.lo[i] || p.step > tt.hi[i] {
						t.Errorf("pair %v outside window %d…%d", p, tt.lo[i], tt.hi[i])
					}
					if l, ok := last[p.user]; ok && p.step <= l {
						t.Errorf("user %d: step %d after %d", p.user, p.step, l)
					}
					seen[p], last[p.user] = true, p.step
				}
			}
		})
	}
}

func TestSchedulerRoundRobinAndSkip(t *testing.T) {
	s := newCodeScheduler(3, 1, 1)
	cur := stepAt(midStep)
	// Use up user 1 entirely by hand; the others must still be served in order.
	s.last[1] = cur + 1
	var users []int
	for _, p := range drain(t, s, midStep) {
		users = append(users, p.user)
	}
	want := []int{0, 2, 0, 2, 0, 2}
	if len(users) != len(want) {
		t.Fatalf("users %v, want %v", users, want)
	}
	for i := range want {
		if users[i] != want[i] {
			t.Fatalf("users %v, want %v", users, want)
		}
	}
}

func TestSchedulerBusy(t *testing.T) {
	s := newCodeScheduler(1, 1, 1)
	p, st, _ := s.next(midStep)
	if st != picked {
		t.Fatalf("first next: status %d", st)
	}
	_, st, wake := s.next(midStep)
	if st != busy || wake == nil {
		t.Fatalf("in-flight user: status %d, wake %v; want busy with a channel", st, wake)
	}
	s.release(p.user)
	select {
	case <-wake:
	default:
		t.Fatal("release did not close the wake channel")
	}
	if q, st, _ := s.next(midStep); st != picked || q.step != p.step+1 {
		t.Fatalf("after release: %v, status %d; want step %d", q, st, p.step+1)
	}
}

func TestSchedulerEmpty(t *testing.T) {
	if _, st, _ := newCodeScheduler(0, 1, 1).next(midStep); st != exhausted {
		t.Fatalf("no users: status %d, want exhausted", st)
	}
}

// TestSchedulerConcurrent checks under -race that concurrent workers never
// share a pair and never hold the same user at once.
func TestSchedulerConcurrent(t *testing.T) {
	const users, workers = 50, 8
	s := newCodeScheduler(users, 1, 1)
	var mu sync.Mutex
	seen := map[pick]bool{}
	holding := make([]bool, users)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				p, st, wake := s.next(midStep)
				switch st {
				case exhausted:
					return
				case busy:
					<-wake
					continue
				}
				mu.Lock()
				if seen[p] || holding[p.user] {
					t.Errorf("pair %v reused or user held twice", p)
				}
				seen[p], holding[p.user] = true, true
				mu.Unlock()
				mu.Lock()
				holding[p.user] = false
				mu.Unlock()
				s.release(p.user)
			}
		})
	}
	wg.Wait()
	if len(seen) != 3*users {
		t.Fatalf("%d pairs, want %d", len(seen), 3*users)
	}
}
