package pgstore

import (
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"radiusd/store"
)

// benchUsers is how many enrolled users the benchmarks spread over.
const benchUsers = 1000

// BenchmarkAcceptStep measures AcceptStep alone, and the request path of
// a TOTP login (Get, then AcceptStep of a later step), for many users from
// parallel goroutines through one Store of DefaultMaxConns connections.
// It reports the round trips per operation, counted on the wire. The
// throwaway cluster runs with fsync and synchronous_commit off, so the
// figures leave out the WAL flush a production commit waits for.
func BenchmarkAcceptStep(b *testing.B) {
	var f flights
	s := openCounted(b, freshDSN(b), 0, &f)
	names := make([]string, benchUsers)
	for i := range names {
		names[i] = fmt.Sprintf("user%04d", i)
		if err := s.Import(b.Context(), names[i], totp(1), time.Unix(1, 0), false); err != nil {
			b.Fatal(err)
		}
	}
	var counter atomic.Int64 // shared by the runs: steps only grow
	for _, withGet := range []bool{false, true} {
		name := "accept"
		if withGet {
			name = "get+accept"
		}
		b.Run(name, func(b *testing.B) { benchAccept(b, s, names, &counter, &f, withGet) })
	}
}

// benchAccept runs (Get +) AcceptStep in parallel. Steps grow with a
// shared counter, so every step is later than the user's last one unless
// two goroutines hit one user at once; those rare replays are reported.
func benchAccept(b *testing.B, s *Store, names []string, counter *atomic.Int64, f *flights, withGet bool) {
	var replays atomic.Int64
	now := time.Unix(2_000_000_000, 0)
	b.SetParallelism(8) // 8 × GOMAXPROCS callers share the pool
	before := f.n.Load()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		ctx := b.Context()
		for pb.Next() {
			n := counter.Add(1)
			name := names[n%benchUsers]
			if withGet {
				if u, err := s.Get(ctx, name); err != nil || u.State != store.StateActive {
					b.Errorf("Get: %v", err)
					return
				}
			}
			err := s.AcceptStep(ctx, name, n, 0, now)
			if errors.Is(err, store.ErrReplay) {
				replays.Add(1)
			} else if err != nil {
				b.Errorf("AcceptStep: %v", err)
				return
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "logins/s")
	b.ReportMetric(float64(f.n.Load()-before)/float64(b.N), "roundtrips/op")
	b.ReportMetric(float64(replays.Load()), "replays")
}
