package radiussrv

import (
	"context"
	"io"
	"log/slog"
	"net/netip"
	"sync/atomic"
	"testing"

	"radiusd/auth"
)

// authFunc adapts a function to Authenticator; unlike fakeAuth it keeps
// no record, so it suits benchmarks.
type authFunc func(context.Context, auth.Request) (auth.Decision, error)

func (f authFunc) Authenticate(ctx context.Context, req auth.Request) (auth.Decision, error) {
	return f(ctx, req)
}

// benchServer logs JSON at Info to io.Discard, as a production server
// would format it.
func benchServer(b *testing.B, clients []Client) *Server {
	logger := slog.New(slog.NewJSONHandler(io.Discard, nil))
	s, err := New(Options{Clients: clients}, authFunc(acceptCredentials), logger)
	if err != nil {
		b.Fatal(err)
	}
	return s
}

// BenchmarkHandlePacket measures the whole request path with an accepting
// fake: "accept" decides every packet (a new source address each time, so
// the duplicate cache inserts and, once full, evicts), "duplicate" answers a
// retransmission from the cache, "accept-parallel" runs "accept" on every
// CPU.
func BenchmarkHandlePacket(b *testing.B) {
	clients := []Client{testClient("bench", "10.0.0.0/8", testSecret)}
	req := buildRequest(b, testSecret, validOpts()...)
	source := func(i uint64) netip.AddrPort {
		return netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, byte(i >> 32), byte(i >> 24), byte(i >> 16)}), uint16(i))
	}
	check := func(b *testing.B, reply []byte) {
		if reply == nil || reply[0] != 2 {
			b.Fatal("request not accepted")
		}
	}
	b.Run("accept", func(b *testing.B) {
		s := benchServer(b, clients)
		b.ReportAllocs()
		var i uint64
		for b.Loop() {
			i++
			check(b, s.HandlePacket(b.Context(), req, source(i)))
		}
	})
	b.Run("accept-parallel", func(b *testing.B) {
		s := benchServer(b, clients)
		b.ReportAllocs()
		var n atomic.Uint64
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				check(b, s.HandlePacket(b.Context(), req, source(n.Add(1))))
			}
		})
	})
	b.Run("duplicate", func(b *testing.B) {
		s := benchServer(b, clients)
		from := source(1)
		check(b, s.HandlePacket(b.Context(), req, from))
		b.ReportAllocs()
		for b.Loop() {
			check(b, s.HandlePacket(b.Context(), req, from))
		}
	})
}
