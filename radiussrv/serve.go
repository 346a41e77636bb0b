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

// idleWorkers is how many handler goroutines each Serve call keeps waiting
// for packets. Reusing them keeps their grown stacks (the store and hash
// code need deep ones); packets that find no idle worker get a goroutine
// of their own, within Options.MaxInFlight.
const idleWorkers = 64

// datagram is one packet read by Serve, handed to a worker.
type datagram struct {
	buf  *packetBuf
	n    int
	addr net.Addr
	from netip.AddrPort
}

// Serve reads requests from conn and answers them until ctx ends or conn
// fails. One goroutine reads; each datagram is handled by HandlePacket on
// an idle worker or, if none is idle, in a goroutine of its own, at most
// Options.MaxInFlight at once across all Serve calls of s (beyond that
// packets are dropped as DropOverloaded). Serve may run concurrently on
// several conns (IPv4 and IPv6 listeners). When ctx ends Serve stops
// reading by setting a past read deadline on conn, waits for the requests
// in flight (each bounded by Options.RequestTimeout; they keep their full
// budget and their replies are still sent) and returns nil. A read error
// returns it, wrapped, after the same wait; net.ErrClosed is matched with
// errors.Is. Serve does not close conn.
func (s *Server) Serve(ctx context.Context, conn net.PacketConn) error {
	if err := conn.SetReadDeadline(time.Time{}); err != nil {
		return fmt.Errorf("radiussrv: clear read deadline: %w", err)
	}
	stop := context.AfterFunc(ctx, func() { _ = conn.SetReadDeadline(time.Unix(1, 0)) })
	defer stop()
	handlerCtx := context.WithoutCancel(ctx)
	work := make(chan datagram) // unbuffered: a send succeeds only on an idle worker
	var wg sync.WaitGroup
	defer wg.Wait()
	defer close(work)
	for range idleWorkers {
		wg.Go(func() {
			for d := range work {
				s.serveOne(handlerCtx, conn, d)
			}
		})
	}
	for {
		d, err := s.read(conn)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		if d.buf == nil {
			continue
		}
		s.dispatch(handlerCtx, work, &wg, conn, d)
	}
}

// read reads one datagram; a zero datagram (nil buf) is to be skipped.
func (s *Server) read(conn net.PacketConn) (datagram, error) {
	buf := bufPool.Get().(*packetBuf)
	n, addr, err := conn.ReadFrom(buf[:])
	if err != nil {
		bufPool.Put(buf)
		return datagram{}, fmt.Errorf("radiussrv: read: %w", err)
	}
	from, ok := addrPort(addr)
	if !ok {
		bufPool.Put(buf)
		return datagram{}, nil
	}
	return datagram{buf: buf, n: n, addr: addr, from: from}, nil
}

// dispatch hands d to an idle worker, or to a goroutine of its own, or
// drops it when MaxInFlight packets are being handled already.
func (s *Server) dispatch(ctx context.Context, work chan<- datagram, wg *sync.WaitGroup, conn net.PacketConn, d datagram) {
	select {
	case s.slots <- struct{}{}:
	default:
		bufPool.Put(d.buf)
		s.dropped(DropOverloaded, nil, d.from)
		return
	}
	select {
	case work <- d:
	default:
		wg.Go(func() { s.serveOne(ctx, conn, d) })
	}
}

// serveOne handles one datagram, writes the reply, if any, and releases
// the datagram's buffer and slot.
func (s *Server) serveOne(ctx context.Context, conn net.PacketConn, d datagram) {
	defer func() { bufPool.Put(d.buf); <-s.slots }()
	out := s.HandlePacket(ctx, d.buf[:d.n], d.from)
	if out == nil {
		return
	}
	if _, err := conn.WriteTo(out, d.addr); err != nil {
		s.dropped(DropSendFailed, nil, d.from)
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
