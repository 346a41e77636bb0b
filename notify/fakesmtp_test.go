package notify

import (
	"crypto/tls"
	"net"
	"net/textproto"
	"strings"
	"testing"
	"time"

	"radiusd/internal/testcert"
)

// echoServer starts an implicit-TLS SMTP server on 127.0.0.1 that offers
// AUTH PLAIN, rejects it quoting the client's AUTH line, accepts MAIL and
// RCPT, and rejects the message quoting it. It returns the address and the
// CA file.
func echoServer(t *testing.T) (addr, caFile string) {
	t.Helper()
	f, err := testcert.Write(t.TempDir(), "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	pair, err := tls.LoadX509KeyPair(f.Cert, f.Key)
	if err != nil {
		t.Fatal(err)
	}
	l, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{pair}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go serveEcho(c)
		}
	}()
	return l.Addr().String(), f.CA
}

// serveEcho runs one echoing session (see echoServer).
func serveEcho(c net.Conn) {
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	tp := textproto.NewConn(c)
	_ = tp.PrintfLine("220 echo ready")
	for {
		line, err := tp.ReadLine()
		if err != nil {
			return
		}
		switch strings.ToUpper(strings.Fields(line + " x")[0]) {
		case "EHLO":
			_ = tp.PrintfLine("250-echo\r\n250 AUTH PLAIN")
		case "AUTH":
			_ = tp.PrintfLine("535 5.7.8 rejected %s", line)
		case "MAIL", "RCPT":
			_ = tp.PrintfLine("250 ok")
		case "DATA":
			_ = tp.PrintfLine("354 go on")
			lines, _ := tp.ReadDotLines()
			_ = tp.PrintfLine("554 5.6.0 rejected: %s", strings.Join(lines, " | "))
		case "QUIT":
			_ = tp.PrintfLine("221 bye")
			return
		default:
			_ = tp.PrintfLine("502 unknown")
		}
	}
}
