//go:build integration

package integration

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"radiusd/store/pgstore/pgtest"
)

// pgStore is the store section of a node on PostgreSQL: the connection
// string (with the password) in pg.dsn, the shared key in data/radiusd.key.
const pgStore = "{ driver: postgres, dsn_file: pg.dsn, key_file: data/radiusd.key, pool_size: 8, statement_timeout: 1s }"

// startPG starts a throwaway PostgreSQL server for t and its subtests,
// removed when they end, and registers its password as a secret.
func startPG(t *testing.T) *pgtest.Cluster {
	t.Helper()
	pg := pgtest.New(t)
	sensitive.remember("PostgreSQL password", pg.Password())
	return pg
}

// newDatabase creates a fresh database on pg and returns its DSN,
// registered as secret (it holds the password).
func newDatabase(t *testing.T, pg *pgtest.Cluster) string {
	t.Helper()
	dsn := pg.NewDatabase(t)
	sensitive.remember("PostgreSQL DSN", dsn)
	return dsn
}

// newMasterKey returns a new store key file content (64 hex digits, as
// `openssl rand -hex 32` makes), registered as secret.
func newMasterKey() string {
	b := make([]byte, 32)
	rand.Read(b)
	k := hex.EncodeToString(b)
	sensitive.remember("store key", k)
	return k
}

// newNode writes the config of one node whose store is the database dsn
// and whose key file holds key ("" leaves the key file to be created); it
// does not start radiusd.
func newNode(t *testing.T, dsn, key string, o options) *server {
	t.Helper()
	o.store = pgStore
	s := newServer(t, o)
	s.writeFile("pg.dsn", dsn+"\n", 0o600)
	if key != "" {
		s.writeFile("data/radiusd.key", key+"\n", 0o600)
	}
	return s
}

// startNodes starts one node per options on one fresh database of pg, as
// an administrator sets up a cluster: the same key file content and the
// same client secret on every node; only the listen port (and what the
// options say) differ.
func startNodes(t *testing.T, pg *pgtest.Cluster, opts ...options) []*server {
	t.Helper()
	dsn, key := newDatabase(t, pg), newMasterKey()
	nodes := make([]*server, len(opts))
	for i, o := range opts {
		nodes[i] = newNode(t, dsn, key, o)
		if i > 0 {
			nodes[i].secret = nodes[0].secret
			nodes[i].writeConfig(freePort(t))
		}
		nodes[i].start()
	}
	return nodes
}

// startPair starts two nodes with the same options on one database.
func startPair(t *testing.T, pg *pgtest.Cluster, o options) (a, b *server) {
	t.Helper()
	n := startNodes(t, pg, o, o)
	return n[0], n[1]
}

// timedReply is radclient's reply and how long radclient took.
type timedReply struct {
	reply
	elapsed time.Duration
}

// authAll sends one Access-Request (with a Message-Authenticator) to each
// node at once, lines[i] to nodes[i]: one radclient per node, all started
// before any is waited for. It does not use t, so workers may call it;
// each radclient gives up after 5 seconds, and is killed after 15.
func authAll(nodes []*server, lines [][]string) ([]timedReply, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	cmds := make([]*exec.Cmd, len(nodes))
	outs := make([]bytes.Buffer, len(nodes))
	for i, n := range nodes {
		cmds[i] = exec.CommandContext(ctx, "radclient", "-x", "-t", "5", "-r", "1", n.addr, "auth", n.secret)
		cmds[i].Stdin = strings.NewReader(strings.Join(withMA(lines[i]), "\n") + "\n")
		cmds[i].Stdout, cmds[i].Stderr = &outs[i], &outs[i]
		cmds[i].WaitDelay = time.Second
	}
	starts := make([]time.Time, len(nodes))
	for i, c := range cmds {
		starts[i] = time.Now()
		if err := c.Start(); err != nil {
			return nil, fmt.Errorf("radclient: %w", err)
		}
	}
	replies := make([]timedReply, len(nodes))
	for i, c := range cmds {
		_ = c.Wait() // radclient exits 1 on a reject
		replies[i] = timedReply{reply: parseRadclient(outs[i].String()), elapsed: time.Since(starts[i])}
	}
	for i, r := range replies {
		if r.code == "" && !strings.Contains(r.out, "No reply") {
			return nil, fmt.Errorf("radclient to %s failed:\n%s", nodes[i].addr, r.out)
		}
	}
	return replies, nil
}

// authBoth sends the same Access-Request to every node at once (authAll).
func authBoth(nodes []*server, lines []string) ([]timedReply, error) {
	same := make([][]string, len(nodes))
	for i := range same {
		same[i] = lines
	}
	return authAll(nodes, same)
}

// readyz returns the status code of GET /readyz on addr, or an error
// after 10 seconds.
func readyz(addr string) (int, error) {
	c := &http.Client{Timeout: 10 * time.Second}
	resp, err := c.Get("http://" + addr + "/readyz")
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

// errorLines returns the Error lines of s's log.
func (s *server) errorLines() []string {
	var lines []string
	for _, l := range strings.Split(s.log(), "\n") {
		if strings.Contains(l, "level=ERROR") {
			lines = append(lines, l)
		}
	}
	return lines
}
