package otp_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"radiusd/otp"
)

type observation struct {
	user   string
	offset int
	at     time.Duration // after t0
}

type driftWant struct {
	warn   bool
	median int
}

func TestDriftMonitor(t *testing.T) {
	t0 := time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name      string
		window    int
		threshold float64
		obs       []observation
		want      []driftWant // one per observation
	}{
		{
			name: "warns once the window is full and skewed", window: 3, threshold: 0.8,
			obs:  []observation{{"a", 1, 0}, {"b", 1, 1}, {"c", 2, 2}},
			want: []driftWant{{false, 1}, {false, 1}, {true, 1}},
		},
		{
			name: "negative skew warns too", window: 3, threshold: 0.6,
			obs:  []observation{{"a", -1, 0}, {"b", 0, 0}, {"c", -2, 0}},
			want: []driftWant{{false, -1}, {false, 0}, {true, -1}},
		},
		{
			name: "mixed signs stay quiet", window: 4, threshold: 0.8,
			obs:  []observation{{"a", 1, 0}, {"b", -1, 0}, {"c", 1, 0}, {"d", 1, 0}},
			want: []driftWant{{false, 1}, {false, 1}, {false, 1}, {false, 1}},
		},
		{
			name: "all zero stays quiet", window: 2, threshold: 0.5,
			obs:  []observation{{"a", 0, 0}, {"b", 0, 0}},
			want: []driftWant{{false, 0}, {false, 0}},
		},
		{
			name: "one user many times is one user", window: 3, threshold: 0.8,
			obs:  []observation{{"a", 1, 0}, {"a", 1, 0}, {"a", 1, 0}, {"A", 1, 0}},
			want: []driftWant{{false, 1}, {false, 1}, {false, 1}, {false, 1}},
		},
		{
			name: "at most once per interval", window: 2, threshold: 1,
			obs: []observation{
				{"a", 1, 0}, {"b", 1, time.Minute}, {"c", 1, 2 * time.Minute},
				{"d", 1, 10*time.Minute + time.Minute - time.Second}, {"e", 1, 11 * time.Minute},
			},
			want: []driftWant{{false, 1}, {true, 1}, {false, 1}, {false, 1}, {true, 1}},
		},
		{
			name: "latest offset per user counts", window: 2, threshold: 1,
			obs:  []observation{{"a", 1, 0}, {"b", 0, 0}, {"b", 1, 0}},
			want: []driftWant{{false, 1}, {false, 1}, {true, 1}},
		},
		{
			name: "oldest users are forgotten", window: 2, threshold: 1,
			obs:  []observation{{"a", -3, 0}, {"b", 1, 0}, {"c", 2, 0}},
			want: []driftWant{{false, -3}, {false, 1}, {true, 2}},
		},
		{
			name: "window below 1 acts as 1", window: 0, threshold: 1,
			obs:  []observation{{"a", 2, 0}},
			want: []driftWant{{true, 2}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := otp.NewDriftMonitor(tt.window, tt.threshold)
			for i, o := range tt.obs {
				warn, median := m.Observe(o.user, o.offset, t0.Add(o.at))
				if (driftWant{warn, median}) != tt.want[i] {
					t.Fatalf("observation %d (%+v): got warn=%v median=%d, want %+v", i, o, warn, median, tt.want[i])
				}
			}
		})
	}
}

func TestDriftMonitorConcurrent(t *testing.T) {
	m := otp.NewDriftMonitor(50, 0.8)
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	var wg sync.WaitGroup
	warnings := make(chan bool, 8*100)
	for g := range 8 {
		wg.Go(func() {
			for i := range 100 {
				warn, _ := m.Observe(fmt.Sprintf("u%d-%d", g, i), 1, now)
				warnings <- warn
			}
		})
	}
	wg.Wait()
	close(warnings)
	n := 0
	for w := range warnings {
		if w {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%d warnings at one instant, want exactly 1", n)
	}
}

func TestDriftMonitorMedian(t *testing.T) {
	m := otp.NewDriftMonitor(5, 0.8)
	if med, n := m.Median(); med != 0 || n != 0 {
		t.Fatalf("empty: %d over %d", med, n)
	}
	now := time.Unix(1e9, 0)
	for i, off := range []int{-1, -1, 0, -2} {
		m.Observe(string(rune('a'+i)), off, now)
	}
	if med, n := m.Median(); med != -1 || n != 4 {
		t.Errorf("Median = %d over %d, want -1 over 4", med, n)
	}
}
