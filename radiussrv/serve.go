package radiussrv

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"time"

	"layeh.com/radius"
)

// packetBuf holds one datagram; one byte more than the largest RADIUS
// packet, so a longer datagram is seen as such and dropped as malformed.
type packetBuf [radius.MaxPacketLength + 1]byte

var bufPool = sync.Pool{New: func() any { return new(packetBuf) }}

// Serve reads requests from conn and answers them until ctx ends or conn
// fails. One goroutine reads; each datagram is handled by HandlePacket in a
// goroutine of its own, at most Options.MaxInFlight at once across all
// Serve calls of s (beyond that packets are dropped as DropOverloaded).
// Serve may run concurrently on several conns (IPv4 and IPv6 listeners). When ctx ends Serve stops reading
// by setting a past read deadline on conn, waits for the requests in flight
// (each bounded by Options.RequestTimeout; they keep their full budget and
// their replies are still sent) and returns nil. A read error returns it,
// wrapped, after the same wait; net.ErrClosed is matched with errors.Is.
// Serve does not close conn.
func (s *Server) Serve(ctx context.Context, conn net.PacketConn) error {
	if err := conn.SetReadDeadline(time.Time{}); err != nil {
		return fmt.Errorf("radiussrv: clear read deadline: %w", err)
	}
	stop := context.AfterFunc(ctx, func() { _ = conn.SetReadDeadline(time.Unix(1, 0)) })
	defer stop()
	handlerCtx := context.WithoutCancel(ctx)
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		buf := bufPool.Get().(*packetBuf)
		n, addr, err := conn.ReadFrom(buf[:])
		if err != nil {
			bufPool.Put(buf)
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("radiussrv: read: %w", err)
		}
		from, ok := addrPort(addr)
		if !ok {
			bufPool.Put(buf)
			continue
		}
		select {
		case s.slots <- struct{}{}:
		default:
			bufPool.Put(buf)
			s.dropped(DropOverloaded, nil, from)
			continue
		}
		wg.Go(func() {
			defer func() { bufPool.Put(buf); <-s.slots }()
			s.serveOne(handlerCtx, conn, buf[:n], addr, from)
		})
	}
}

// serveOne handles one datagram and writes the reply, if any, to addr.
func (s *Server) serveOne(ctx context.Context, conn net.PacketConn, raw []byte, addr net.Addr, from netip.AddrPort) {
	out := s.HandlePacket(ctx, raw, from)
	if out == nil {
		return
	}
	if _, err := conn.WriteTo(out, addr); err != nil {
		s.dropped(DropSendFailed, nil, from)
	}
}

// addrPort converts a PacketConn source address.
func addrPort(a net.Addr) (netip.AddrPort, bool) {
	if u, ok := a.(*net.UDPAddr); ok {
		ap := u.AddrPort()
		return ap, ap.IsValid()
	}
	ap, err := netip.ParseAddrPort(a.String())
	return ap, err == nil
}
