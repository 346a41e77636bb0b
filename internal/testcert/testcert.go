// Package testcert makes throwaway TLS certificates for the test harnesses
// that start directory servers (a CA, and a server certificate it signs),
// so that tests verify certificates as production does.
//
// It is test tooling: product packages must never import it. It imports
// only the standard library.
package testcert

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// Files are the PEM files Write created.
type Files struct {
	CA   string // the CA certificate, for the client's trust store
	Cert string // the server certificate
	Key  string // the server's private key (mode 0600)
}

// Write creates a new CA and a server certificate it signs for hosts (IP
// addresses and DNS names; the first is also the subject's common name),
// valid from an hour ago for a week, and writes ca.pem, cert.pem and
// key.pem into dir.
func Write(dir string, hosts ...string) (Files, error) {
	if len(hosts) == 0 {
		return Files{}, fmt.Errorf("testcert: no hosts")
	}
	ca := template("radiusd test CA")
	ca.IsCA = true
	ca.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageCRLSign
	caDER, caKey, err := issue(ca, nil, nil)
	if err != nil {
		return Files{}, err
	}
	srv := template(hosts[0])
	srv.KeyUsage = x509.KeyUsageDigitalSignature
	srv.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			srv.IPAddresses = append(srv.IPAddresses, ip)
		} else {
			srv.DNSNames = append(srv.DNSNames, h)
		}
	}
	srvDER, srvKey, err := issue(srv, ca, caKey)
	if err != nil {
		return Files{}, err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(srvKey)
	if err != nil {
		return Files{}, fmt.Errorf("testcert: server key: %w", err)
	}
	f := Files{CA: filepath.Join(dir, "ca.pem"), Cert: filepath.Join(dir, "cert.pem"), Key: filepath.Join(dir, "key.pem")}
	for _, w := range []struct {
		path, typ string
		der       []byte
		perm      os.FileMode
	}{{f.CA, "CERTIFICATE", caDER, 0o644}, {f.Cert, "CERTIFICATE", srvDER, 0o644}, {f.Key, "PRIVATE KEY", keyDER, 0o600}} {
		if err := os.WriteFile(w.path, pem.EncodeToMemory(&pem.Block{Type: w.typ, Bytes: w.der}), w.perm); err != nil {
			return Files{}, fmt.Errorf("testcert: %w", err)
		}
	}
	return f, nil
}

// issue creates a key for tmpl and a certificate signed by parent's key
// (self-signed when parent is nil).
func issue(tmpl, parent *x509.Certificate, parentKey *ecdsa.PrivateKey) ([]byte, *ecdsa.PrivateKey, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("testcert: key for %s: %w", tmpl.Subject.CommonName, err)
	}
	if parent == nil {
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
	if err != nil {
		return nil, nil, fmt.Errorf("testcert: certificate for %s: %w", tmpl.Subject.CommonName, err)
	}
	return der, key, nil
}

// template returns a certificate template valid from an hour ago for a
// week, with a random serial number.
func template(cn string) *x509.Certificate {
	serial, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	now := time.Now()
	return &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: cn, Organization: []string{"radiusd tests"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(7 * 24 * time.Hour),
		BasicConstraintsValid: true,
	}
}
