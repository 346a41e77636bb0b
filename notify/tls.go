package notify

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"strings"
)

// tlsConfig returns a client configuration that verifies the server's
// certificate for serverName against the PEM certificates in caFile, or
// against the system roots when caFile is "". There is no option to skip
// verification.
func tlsConfig(caFile, serverName string) (*tls.Config, error) {
	cfg := &tls.Config{ServerName: serverName, MinVersion: tls.VersionTLS12}
	if caFile == "" {
		return cfg, nil
	}
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("ca file: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("ca file %s: no PEM certificate in it", caFile)
	}
	cfg.RootCAs = pool
	return cfg, nil
}

// isLoopback reports whether host (a name or an IP address, without port
// or brackets) is "localhost" or a loopback address: the only servers to
// which this package talks without TLS.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Unmap().IsLoopback()
}

// hasLineBreak reports whether s holds a CR, LF or NUL, which would split
// a header or an SMTP command.
func hasLineBreak(s string) bool { return strings.ContainsAny(s, "\r\n\x00") }

// errPlaintext says that credentials would cross the network in clear.
var errPlaintext = errors.New("credentials are only sent over TLS")
