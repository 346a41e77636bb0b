package ldaptest

import (
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	goldap "github.com/go-ldap/ldap/v3"

	"radiusd/internal/logtail"
	"radiusd/internal/testcert"
)

// slapdConf is the server configuration; %[1]s is the server folder and
// %[2]s the TLS directives.
const slapdConf = `# written by ldaptest
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/nis.schema
include /etc/ldap/schema/inetorgperson.schema
modulepath /usr/lib/ldap
moduleload back_mdb
moduleload memberof
pidfile %[1]s/slapd.pid
argsfile %[1]s/slapd.args
%[2]s
database mdb
maxsize 1073741824
suffix "` + BaseDN + `"
directory %[1]s/db
index objectClass,uid,member,uniqueMember,memberUid eq
overlay memberof
memberof-refint TRUE
access to attrs=userPassword
	by self write
	by anonymous auth
	by * none
access to *
	by * read
`

// prepare writes the certificates, the configuration and the LDIF into
// s.Dir and loads the LDIF with slapadd.
func (s *Slapd) prepare(slapadd string, opts Options) error {
	tlsConf := ""
	if !opts.NoTLS {
		f, err := testcert.Write(s.Dir, "127.0.0.1", "::1", "localhost")
		if err != nil {
			return fmt.Errorf("ldaptest: %w", err)
		}
		s.CAFile = f.CA
		tlsConf = fmt.Sprintf("TLSCACertificateFile %s\nTLSCertificateFile %s\nTLSCertificateKeyFile %s\n",
			f.CA, f.Cert, f.Key)
	}
	if err := os.WriteFile(s.confPath(), fmt.Appendf(nil, slapdConf, s.Dir, tlsConf), 0o600); err != nil {
		return fmt.Errorf("ldaptest: %w", err)
	}
	if err := os.Mkdir(filepath.Join(s.Dir, "db"), 0o700); err != nil {
		return fmt.Errorf("ldaptest: %w", err)
	}
	data := filepath.Join(s.Dir, "data.ldif")
	if err := writeData(data, opts); err != nil {
		return err
	}
	out, err := exec.Command(slapadd, "-q", "-f", s.confPath(), "-l", data).CombinedOutput()
	if err != nil {
		return fmt.Errorf("ldaptest: slapadd: %w\n%s", err, out)
	}
	return nil
}

// writeData writes the base LDIF, the test's LDIF and the generated users,
// with memberOf values computed, to path.
func writeData(path string, opts Options) error {
	texts := []string{baseLDIF}
	for _, l := range opts.LDIF {
		if !strings.Contains(l, "\n") {
			b, err := os.ReadFile(l)
			if err != nil {
				return fmt.Errorf("ldaptest: %w", err)
			}
			l = string(b)
		}
		texts = append(texts, l)
	}
	var recs []*record
	for _, text := range texts {
		r, err := parseLDIF(text)
		if err != nil {
			return err
		}
		recs = append(recs, r...)
	}
	if err := addUsers(&recs, opts.Users); err != nil {
		return err
	}
	addMemberOf(recs)
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("ldaptest: %w", err)
	}
	defer f.Close()
	return writeLDIF(f, recs)
}

// addUsers appends n generated users to recs and makes them members of
// vpn-users.
func addUsers(recs *[]*record, n int) error {
	if n <= 0 {
		return nil
	}
	users, err := generateUsers(n, PeopleDN)
	if err != nil {
		return err
	}
	for _, g := range *recs {
		if normDN(g.dn) != normDN(vpnUsersDN) {
			continue
		}
		for _, u := range users {
			g.lines = append(g.lines, "member: "+u.dn)
		}
	}
	*recs = append(*recs, users...)
	return nil
}

// launch starts slapd on s.ports and waits until it answers a search.
func (s *Slapd) launch() error {
	logf, err := os.OpenFile(s.logPath(), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("ldaptest: %w", err)
	}
	defer logf.Close()
	offset, _ := logf.Seek(0, io.SeekEnd)
	urls := s.URL + "/"
	if !s.noTLS {
		urls += " " + s.LDAPSURL + "/"
	}
	cmd := exec.Command(s.bin, "-d", "stats", "-h", urls, "-f", s.confPath())
	cmd.Stdout, cmd.Stderr = logf, logf
	setDeathSignal(cmd)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("ldaptest: start slapd: %w", err)
	}
	s.cmd, s.PID, s.exited, s.paused = cmd, cmd.Process.Pid, make(chan struct{}), false
	go func(done chan struct{}) { _ = cmd.Wait(); close(done) }(s.exited)
	if err := s.waitReady(offset); err != nil {
		_ = cmd.Process.Kill()
		<-s.exited
		s.cmd, s.PID = nil, 0
		return err
	}
	return nil
}

// waitReady polls s.URL with an anonymous search until it succeeds, slapd
// exits, or startTimeout passes. Errors carry the tail of the log written
// since offset.
func (s *Slapd) waitReady(offset int64) error {
	deadline := time.Now().Add(startTimeout)
	for {
		err := probe(s.URL)
		if err == nil {
			return nil
		}
		select {
		case <-s.exited:
			tail := s.logTail(offset)
			if strings.Contains(tail, "Address already in use") {
				return fmt.Errorf("%w: %s", errAddrInUse, s.URL)
			}
			return fmt.Errorf("ldaptest: slapd exited during start:\n%s", tail)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("ldaptest: slapd did not answer on %s within %v: %w\n%s", s.URL, startTimeout, err, s.logTail(offset))
		}
	}
}

// probe dials url and runs one anonymous base search of BaseDN.
func probe(url string) error {
	l, err := goldap.DialURL(url, goldap.DialWithDialer(&net.Dialer{Timeout: time.Second}))
	if err != nil {
		return err
	}
	defer l.Close()
	l.SetTimeout(time.Second)
	req := goldap.NewSearchRequest(BaseDN, goldap.ScopeBaseObject, goldap.NeverDerefAliases,
		1, 1, false, "(objectClass=*)", []string{"1.1"}, nil)
	_, err = l.Search(req)
	return err
}

// logTail returns the last 30 lines of the log written since offset.
func (s *Slapd) logTail(offset int64) string { return logtail.Since(s.logPath(), offset, 30) }
