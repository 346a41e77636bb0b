package sqlstore

import (
	"bytes"
	"errors"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"radiusd/secret"
	"radiusd/store"
)

// benchUsers is how many enrolled users the request path spreads over.
const benchUsers = 1000

// BenchmarkAcceptPath measures the request path of a TOTP login: Get, then
// AcceptStep of a later step, for many users from parallel goroutines, in
// both synchronous modes. Run it on a real disk (TMPDIR) for the fsync
// cost of "full" to show.
func BenchmarkAcceptPath(b *testing.B) {
	for _, mode := range []string{SynchronousNormal, SynchronousFull} {
		path := filepath.Join(b.TempDir(), "bench.db")
		names := benchSetup(b, path)
		s, err := Open(b.Context(), Options{Path: path, Key: testKey, Synchronous: mode})
		if err != nil {
			b.Fatal(err)
		}
		var counter atomic.Int64 // shared by the runs of one store: steps only grow
		b.Run("sync="+mode, func(b *testing.B) { benchAccept(b, s, names, &counter) })
		s.Close()
	}
}

// benchSetup creates the users in a fast store and closes it.
func benchSetup(b *testing.B, path string) []string {
	s, err := Open(b.Context(), Options{Path: path, Key: testKey})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	totp := store.TOTP{Secret: secret.New(bytes.Repeat([]byte{1}, 20)), Digits: 6, Period: 30, Algorithm: "SHA1"}
	names := make([]string, benchUsers)
	for i := range names {
		names[i] = fmt.Sprintf("user%04d", i)
		if err := s.Import(b.Context(), names[i], totp, time.Unix(1, 0), false); err != nil {
			b.Fatal(err)
		}
	}
	return names
}

// benchAccept runs Get + AcceptStep in parallel. Steps grow with a shared
// counter, so every step is later than the user's last one unless two
// goroutines hit one user at once; those rare replays are reported.
func benchAccept(b *testing.B, s *Store, names []string, counter *atomic.Int64) {
	var replays atomic.Int64
	now := time.Unix(2_000_000_000, 0)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		ctx := b.Context()
		for pb.Next() {
			n := counter.Add(1)
			name := names[n%benchUsers]
			u, err := s.Get(ctx, name)
			if err != nil || u.State != store.StateActive {
				b.Errorf("Get: %v", err)
				return
			}
			err = s.AcceptStep(ctx, name, n, 0, now)
			if errors.Is(err, store.ErrReplay) {
				replays.Add(1)
			} else if err != nil {
				b.Errorf("AcceptStep: %v", err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "logins/s")
	b.ReportMetric(float64(replays.Load()), "replays")
}
