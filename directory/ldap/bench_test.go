package ldap

import (
	"sync/atomic"
	"testing"
	"time"

	"radiusd/directory/ldap/ldaptest"
)

// BenchmarkAuthenticate logs in the 10 000 generated users of a real slapd
// (each in vpn-users, so every call does a user search, a group search and
// a user bind) from parallel goroutines, round robin, and reports the LDAP
// operations per call. The cached variant keeps entries for a minute and
// cycles through the first 1 000 users, so after the first round it only
// binds.
func BenchmarkAuthenticate(b *testing.B) {
	const users = 10_000
	s := ldaptest.StartSlapd(b, ldaptest.Options{Users: users})
	for _, bm := range []struct {
		name  string
		ttl   time.Duration
		cycle int64
	}{{"nocache", 0, users}, {"cache", time.Minute, 1_000}} {
		b.Run(bm.name, func(b *testing.B) {
			cfg := config(s)
			cfg.CacheTTL = bm.ttl
			d, err := New(cfg)
			if err != nil {
				b.Fatal(err)
			}
			defer d.Close()
			binds := s.BindCount(b)
			var next atomic.Int64
			b.SetParallelism(16) // 32 goroutines on 2 cores: the RADIUS load's concurrency
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					n := int(next.Add(1) % bm.cycle)
					if _, err := d.Authenticate(b.Context(), ldaptest.UserName(n), ldaptest.UserPassword(n)); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.StopTimer()
			st, ops := d.Stats(), float64(b.N)
			b.ReportMetric(float64(st.Searches)/ops, "searches/op")
			b.ReportMetric(float64(st.UserBinds+st.ServiceBinds)/ops, "binds/op")
			b.ReportMetric(float64(s.BindCount(b)-binds)/ops, "server-binds/op")
			b.ReportMetric(float64(st.Dials), "dials")
		})
	}
}
