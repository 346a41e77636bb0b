//go:build integration

package integration

import (
	"errors"
	"fmt"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"radiusd/store/pgstore/pgtest"
)

// TestHA: two radiusd nodes on one PostgreSQL database behave as one
// server (PRODUCT.md §9): a code is accepted by one node only, a challenge
// begun on one node is answered on the other, failures on both add up to
// one lockout, and an admin command on one node holds on the other at
// once. The subtests share one throwaway PostgreSQL server, each with a
// database of its own; the server is removed when they have all ended.
func TestHA(t *testing.T) {
	t.Parallel()
	requireTool(t, "radclient", "oathtool")
	pg := startPG(t)
	for name, test := range map[string]func(*testing.T, *pgtest.Cluster){
		"ReplayRace":           testHAReplayRace,
		"ChallengeAcrossNodes": testHAChallenge,
		"LockoutAcrossNodes":   testHALockout,
		"ResetAcrossNodes":     testHAReset,
		"StoreCopy":            testHAStoreCopy,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			test(t, pg)
		})
	}
}

// The replay race: raceUsers users, raceSteps fresh codes each, every code
// sent to both nodes at once; raceWorkers users at a time.
const (
	raceUsers   = 100
	raceSteps   = 2
	raceWorkers = 6
)

// raceRound is one code sent to both nodes at once, and their answers.
type raceRound struct {
	user    string
	replies []timedReply
	err     error
}

// testHAReplayRace: 200 times, the same fresh password+code goes to A and
// B at the same moment; exactly one node accepts it, and the other
// rejects it and logs reason=replayed_code.
func testHAReplayRace(t *testing.T, pg *pgtest.Cluster) {
	users := make([]user, raceUsers)
	for i := range users {
		users[i] = newUser(fmt.Sprintf("u%03d", i))
	}
	a, b := startPair(t, pg, options{users: users, maxFailures: 10})
	keys := importKeys(t, a, users)
	start := time.Now()
	rounds := raceRounds(t, []*server{a, b}, users, keys)
	t.Logf("%d rounds of one code sent to both nodes at once in %v", len(rounds), time.Since(start).Round(time.Millisecond))
	checkRaceRounds(t, []*server{a, b}, rounds)
}

// importKeys gives every user a new TOTP secret with "user import" on
// node s (so each is active, and any code of the current window is fresh)
// and returns the keys, in the order of users.
func importKeys(t *testing.T, s *server, users []user) []totpKey {
	t.Helper()
	keys := make([]totpKey, len(users))
	csv := []string{"user,secret,digits,period,algorithm"}
	for i, u := range users {
		keys[i] = totpKey{secret: randomBase32()}
		csv = append(csv, u.name+","+keys[i].secret+",6,30,SHA1")
	}
	file := s.writeFile("import.csv", strings.Join(csv, "\n")+"\n", 0o600)
	var rep importReport
	decodeJSON(t, s.mustCLI("user import", "--json", file), &rep)
	if rep.Imported != len(users) {
		t.Fatalf("user import: %+v, want %d imported", rep, len(users))
	}
	return keys
}

// raceRounds runs raceSteps rounds per user, raceWorkers users at a time.
// The codes of four steps from now are computed first (oathtool); each
// user then takes the codes of the step current at its turn and of the
// next, in that order, so every code is fresh and inside the window.
func raceRounds(t *testing.T, nodes []*server, users []user, keys []totpKey) []raceRound {
	t.Helper()
	first := currentStep()
	codes := make([][]string, len(users))
	for i := range users {
		codes[i] = keys[i].oathtool(t, first, 4)
	}
	results := make([][]raceRound, len(users))
	work := make(chan int)
	var wg sync.WaitGroup
	for range raceWorkers {
		wg.Go(func() {
			for i := range work {
				results[i] = raceUser(nodes, users[i], codes[i], currentStep()-first, i%2 == 1)
			}
		})
	}
	for i := range users {
		work <- i
	}
	close(work)
	wg.Wait()
	return slices.Concat(results...)
}

// raceUser sends u's codes from index off on, one round each; swap starts
// the second node's radclient first, so that neither always has a head
// start.
func raceUser(nodes []*server, u user, codes []string, off int64, swap bool) []raceRound {
	var rounds []raceRound
	for r := range int64(raceSteps) {
		round := raceRound{user: u.name}
		if off+r >= int64(len(codes)) {
			round.err = errors.New("the test ran too long: no precomputed code for this step")
			rounds = append(rounds, round)
			continue
		}
		order := slices.Clone(nodes)
		if swap = !swap; swap {
			slices.Reverse(order)
		}
		round.replies, round.err = authBoth(order, pap(u.name, u.password+codes[off+r]))
		if swap && round.err == nil {
			slices.Reverse(round.replies)
		}
		rounds = append(rounds, round)
	}
	return rounds
}

// checkRaceRounds checks that exactly one node accepted each round and
// that every reject is logged as replayed_code by the node that sent it.
func checkRaceRounds(t *testing.T, nodes []*server, rounds []raceRound) {
	t.Helper()
	wins := make([]int, len(nodes))
	rejects := make([]map[string]int, len(nodes))
	for i := range rejects {
		rejects[i] = map[string]int{}
	}
	for _, r := range rounds {
		if r.err != nil {
			t.Errorf("%s: %v", r.user, r.err)
			continue
		}
		var accepted []int
		for i, rep := range r.replies {
			switch {
			case rep.code == accept:
				accepted = append(accepted, i)
			case rep.code == reject && rep.get("Reply-Message") == msgFailed:
				rejects[i][r.user]++
			default:
				t.Errorf("%s: node %d answered %v", r.user, i, rep.reply)
			}
		}
		if len(accepted) != 1 {
			t.Errorf("%s: %d nodes accepted one code, want exactly 1", r.user, len(accepted))
			continue
		}
		wins[accepted[0]]++
	}
	t.Logf("accepted by node A %d times, by node B %d times", wins[0], wins[1])
	for i, n := range nodes {
		checkReplayLog(t, n, rejects[i])
	}
}

// userField finds the user of a decision log line.
var userField = regexp.MustCompile(` user=(\S+) `)

// checkReplayLog checks that n logged one reject with reason=replayed_code
// for each reject it sent, user by user, and no reject for another reason.
func checkReplayLog(t *testing.T, n *server, want map[string]int) {
	t.Helper()
	total := 0
	for _, c := range want {
		total += c
	}
	got := map[string]int{}
	for _, l := range n.logLines(total, `msg="radius decision"`, "result=reject") {
		m := userField.FindStringSubmatch(l)
		if m == nil || !strings.Contains(l, " reason=replayed_code ") {
			t.Errorf("%s: a reject that is not a replayed code: %s", n.addr, l)
			continue
		}
		got[m[1]]++
	}
	if !maps.Equal(got, want) {
		t.Errorf("%s: replayed_code rejects logged per user %v, want %v", n.addr, got, want)
	}
}

// testHAChallenge: the Access-Challenge of one node is answered on the
// other, in both directions; a State answered on one node is spent on
// both.
func testHAChallenge(t *testing.T, pg *pgtest.Cluster) {
	alice := newUser("alice")
	a, b := startPair(t, pg, options{mode: "challenge", users: []user{alice}})
	acc := a.enroll(alice)

	r := a.auth(pap("alice", acc.password)...)
	expect(t, r, challenge, msgPrompt)
	state := "State = " + r.get("State")
	expect(t, b.auth(append(pap("alice", acc.code(t, 0)), state)...), accept, "")
	expect(t, a.auth(append(pap("alice", acc.code(t, 1)), state)...), reject, "")

	r = b.auth(pap("alice", acc.password)...)
	expect(t, r, challenge, msgPrompt)
	expect(t, a.auth(append(pap("alice", acc.recovery[0]), "State = "+r.get("State"))...), accept, "")
	if got := b.show("alice").RecoveryCodesLeft; got != 7 {
		t.Errorf("recovery_codes_left on B = %d after a recovery code on A, want 7", got)
	}
}

// testHALockout: wrong codes alternate between A and B; the failures add
// up on both nodes, max_failures of them lock the user on both, and an
// unlock on B lets the user in on A.
func testHALockout(t *testing.T, pg *pgtest.Cluster) {
	const maxFailures = 4
	alice := newUser("alice")
	a, b := startPair(t, pg, options{users: []user{alice}, maxFailures: maxFailures})
	acc := a.enroll(alice)
	nodes := []*server{a, b}
	for i, w := range acc.key.wrongCodes(t, acc.base, maxFailures) {
		node, other := nodes[i%2], nodes[(i+1)%2]
		expect(t, node.auth(pap("alice", acc.password+w)...), reject, "")
		if sh := other.show("alice"); i < maxFailures-1 && (sh.Failures != i+1 || sh.LockedUntil != nil) {
			t.Errorf("after %d wrong codes on alternate nodes, the other node shows %+v, want %d failures and no lock", i+1, sh, i+1)
		}
	}
	if sh := a.show("alice"); sh.LockedUntil == nil {
		t.Fatalf("after %d wrong codes on alternate nodes: %+v, want locked", maxFailures, sh)
	}
	if len(b.logLines(1, `msg="user locked out"`, "user=alice")) != 1 {
		t.Errorf("node B, which saw the last failure, did not log the lockout")
	}
	for _, n := range nodes {
		expect(t, n.auth(pap("alice", acc.password+acc.code(t, 0))...), reject, msgLocked)
	}
	b.mustCLI("user unlock", "alice")
	expect(t, a.auth(pap("alice", acc.password+acc.code(t, 1))...), accept, "")
}

// testHAReset: after "user reset" with A's config, B refuses the user at
// once as not enrolled, though it accepted a code a moment before.
func testHAReset(t *testing.T, pg *pgtest.Cluster) {
	alice := newUser("alice")
	a, b := startPair(t, pg, options{users: []user{alice}})
	acc := a.enroll(alice)
	expect(t, b.auth(pap("alice", acc.password+acc.code(t, 0))...), accept, "")
	a.mustCLI("user reset", "alice")
	expect(t, b.auth(pap("alice", acc.password+acc.code(t, 1))...), reject, msgEnroll)
	if got := b.show("alice").State; got != "none" {
		t.Errorf("state on B after a reset on A = %q, want none", got)
	}
}

// copyJSON is the output of "store copy --json".
type copyJSON struct {
	From          string         `json:"from"`
	To            string         `json:"to"`
	Users         int            `json:"users"`
	ByState       map[string]int `json:"by_state"`
	RecoveryCodes int            `json:"recovery_codes"`
}

// copySource is the SQLite store that testHAStoreCopy copies: alice
// active, with a code and a recovery code used; bob pending; carol
// locked; dave exempt and not enrolled.
type copySource struct {
	srv          *server
	alice, carol *account
	bob          *account // pending: key but no base or recovery codes yet
	dave         user
}

// testHAStoreCopy: "radiusd store copy" moves a stopped SQLite server's
// users to PostgreSQL, and a node on PostgreSQL then treats each as the
// SQLite server did; a second copy into the now non-empty database is
// refused, and "radiusd check" reports the database.
func testHAStoreCopy(t *testing.T, pg *pgtest.Cluster) {
	src := newCopySource(t)
	dst := newNode(t, newDatabase(t, pg), newMasterKey(), src.srv.opts)
	checkOtherKeyRefused(t, src.srv, dst)
	res := runRadiusd(t, "", "store", "copy", "--from-config", src.srv.config, "--to-config", dst.config, "--json")
	if res.code != 0 {
		t.Fatalf("store copy: exit %d: %s", res.code, res.stderr)
	}
	if strings.Contains(res.stdout+res.stderr, pg.Password()) {
		t.Errorf("store copy printed the database password:\n%s%s", res.stdout, res.stderr)
	}
	var sum copyJSON
	decodeJSON(t, res.stdout, &sum)
	want := map[string]int{"active": 2, "pending": 1, "none": 1}
	if sum.Users != 4 || !maps.Equal(sum.ByState, want) || sum.RecoveryCodes != 7+8 || !strings.HasPrefix(sum.To, "postgres ") {
		t.Errorf("store copy reported %+v, want 4 users %v and 15 recovery codes into postgres", sum, want)
	}
	checkCopyRefused(t, src.srv, dst)
	checkPGReport(t, dst, pg)
	dst.start()
	src.checkAfterCopy(t, dst)
}

// newCopySource builds the state of a copySource through the CLI and
// RADIUS logins on a SQLite server, and stops it.
func newCopySource(t *testing.T) *copySource {
	t.Helper()
	alice, bob, carol, dave := newUser("alice"), newUser("bob"), newUser("carol"), newUser("dave")
	s := startServer(t, options{users: []user{alice, bob, carol, dave}, maxFailures: 3})
	c := &copySource{srv: s, dave: dave}
	c.alice = s.enroll(alice)
	expect(t, s.auth(pap("alice", alice.password+c.alice.code(t, 0))...), accept, "")
	expect(t, s.auth(pap("alice", alice.password+c.alice.recovery[0])...), accept, "")
	var en enrollJSON
	decodeJSON(t, s.mustCLI("user enroll", "--json", "bob"), &en)
	sensitive.remember("TOTP secret", en.Secret)
	c.bob = &account{user: bob, key: totpKey{secret: en.Secret, algorithm: en.Algorithm, digits: en.Digits}}
	c.carol = s.enroll(carol)
	for _, w := range c.carol.key.wrongCodes(t, c.carol.base, 3) {
		expect(t, s.auth(pap("carol", carol.password+w)...), reject, "")
	}
	if sh := s.show("carol"); sh.LockedUntil == nil {
		t.Fatalf("carol after 3 wrong codes: %+v, want locked", sh)
	}
	s.mustCLI("user policy", "dave", "exempt")
	expect(t, s.auth(pap("dave", dave.password)...), accept, "")
	s.stop()
	return c
}

// checkAfterCopy checks that dst, on the copy, treats every user as the
// SQLite server did: alice's used code and recovery code stay used and
// her others work, carol stays locked, dave logs in with his password
// alone, and bob must still confirm his enrolment.
func (c *copySource) checkAfterCopy(t *testing.T, dst *server) {
	a, bob := c.alice, c.bob
	dst.run([]step{
		{"fresh code", pap("alice", a.password+a.code(t, 1)), accept, ""},
		{"code accepted before the copy", pap("alice", a.password+a.code(t, 0)), reject, msgFailed},
		{"recovery code used before the copy", pap("alice", a.password+a.recovery[0]), reject, msgFailed},
		{"unused recovery code", pap("alice", a.password+a.recovery[1]), accept, ""},
		{"locked user", pap("carol", c.carol.password+c.carol.code(t, 0)), reject, msgLocked},
		{"exempt user with the password alone", pap("dave", c.dave.password), accept, ""},
		{"pending user", pap("bob", bob.password+bob.key.code(t, currentStep())), reject, msgEnroll},
	})
	if got := dst.show("bob").State; got != "pending" {
		t.Fatalf("bob's state on the copy = %q, want pending", got)
	}
	bob.recovery = dst.confirm(bob)
	expect(t, dst.auth(pap("bob", bob.password+bob.code(t, 0))...), accept, "")
}

// checkOtherKeyRefused: a copy into a store whose key file holds another
// key is refused (recovery-code digests are keyed with it); once that key
// file is removed, the copy gives the destination the source's key.
func checkOtherKeyRefused(t *testing.T, src, dst *server) {
	t.Helper()
	res := runRadiusd(t, "", "store", "copy", "--from-config", src.config, "--to-config", dst.config)
	if res.code != 1 || !strings.Contains(res.stderr, "holds another key than the source's") {
		t.Errorf("store copy with another key file: exit %d, stderr %q; want exit 1 naming the key files", res.code, res.stderr)
	}
	dstKey := filepath.Join(dst.dir, "data", "radiusd.key")
	if err := os.Remove(dstKey); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		want, _ := os.ReadFile(filepath.Join(src.dir, "data", "radiusd.key"))
		if got, err := os.ReadFile(dstKey); err != nil || string(got) != string(want) {
			t.Errorf("after store copy the destination's key file is not the source's (%v)", err)
		}
	})
}

// checkCopyRefused: a second copy into the now non-empty destination is
// refused and changes nothing.
func checkCopyRefused(t *testing.T, src, dst *server) {
	t.Helper()
	res := runRadiusd(t, "", "store", "copy", "--from-config", src.config, "--to-config", dst.config)
	if res.code != 1 || !strings.Contains(res.stderr, "already has 4 users") {
		t.Errorf("store copy into a non-empty store: exit %d, stderr %q; want exit 1 naming its 4 users", res.code, res.stderr)
	}
}

// checkPGReport: "radiusd check" on a node's config reaches the database
// and reports its schema and key without its password.
func checkPGReport(t *testing.T, s *server, pg *pgtest.Cluster) {
	t.Helper()
	res := runRadiusd(t, "", "check", "--config", s.config)
	line := regexp.MustCompile(`is reachable, schema version \d+ \(current\), key file matches`)
	if res.code != 0 || !strings.Contains(res.stdout, "ok:      store: postgres ") || !line.MatchString(res.stdout) {
		t.Errorf("radiusd check: exit %d, want 0 and %q:\n%s%s", res.code, line, res.stdout, res.stderr)
	}
	if strings.Contains(res.stdout+res.stderr, pg.Password()) {
		t.Errorf("radiusd check printed the database password:\n%s", res.stdout)
	}
}

// TestHAOutage: while PostgreSQL hangs (paused) or is stopped, both nodes
// answer Access-Reject within radius.request_timeout, log an error
// without any secret, and fail /readyz; when it is back, both accept
// again without a restart. It has a PostgreSQL server of its own.
func TestHAOutage(t *testing.T) {
	t.Parallel()
	requireTool(t, "radclient", "oathtool")
	pg := startPG(t)
	alice, bob := newUser("alice"), newUser("bob")
	metrics := []string{freeTCPAddr(t), freeTCPAddr(t)}
	opts := make([]options, 2)
	for i := range opts {
		opts[i] = options{users: []user{alice, bob}, requestTimeout: outageBudget.String(),
			extra: fmt.Sprintf("metrics: { listen: %q }\n", metrics[i])}
	}
	nodes := startNodes(t, pg, opts...)
	t.Cleanup(func() { _ = pg.Resume() }) // runs before the nodes stop
	accs := []*account{nodes[0].enroll(alice), nodes[0].enroll(bob)}
	t.Run("hung", func(t *testing.T) {
		outagePhase(t, nodes, metrics, accs, 0, pg.Pause, pg.Resume)
	})
	t.Run("stopped", func(t *testing.T) {
		outagePhase(t, nodes, metrics, accs, 1, pg.Stop, pg.Start)
	})
	for _, n := range nodes {
		checkOutageLog(t, n, pg)
	}
}

// outageBudget is radius.request_timeout in TestHAOutage, and
// outageSlack what radclient's start and the scheduler may add to it.
const (
	outageBudget = 2 * time.Second
	outageSlack  = time.Second
)

// outagePhase takes the database down, checks that both nodes refuse a
// valid code within the budget and fail /readyz, brings it back and
// checks that both accept that code again. Node i is sent the code of
// step off of account (i+off)%2.
func outagePhase(t *testing.T, nodes []*server, metrics []string, accs []*account, off int, down, up func() error) {
	lines := make([][]string, len(nodes))
	for i := range nodes {
		a := accs[(i+off)%len(accs)]
		lines[i] = pap(a.name, a.password+a.code(t, int64(off)))
	}
	if err := down(); err != nil {
		t.Fatal(err)
	}
	replies, err := authAll(nodes, lines)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range replies {
		t.Logf("node %d answered %q in %v with the database down", i, r.code, r.elapsed.Round(time.Millisecond))
		if r.code != reject || r.elapsed > outageBudget+outageSlack {
			t.Errorf("node %d: %q after %v, want Access-Reject within %v", i, r.code, r.elapsed, outageBudget+outageSlack)
		}
	}
	checkNotReady(t, metrics)
	if err := up(); err != nil {
		t.Fatal(err)
	}
	for i, n := range nodes {
		acceptAgain(t, n, lines[i])
	}
}

// checkNotReady checks that /readyz fails on every metrics address.
func checkNotReady(t *testing.T, addrs []string) {
	t.Helper()
	codes, errs := make([]int, len(addrs)), make([]error, len(addrs))
	var wg sync.WaitGroup
	for i, addr := range addrs {
		wg.Go(func() { codes[i], errs[i] = readyz(addr) })
	}
	wg.Wait()
	for i := range addrs {
		if errs[i] != nil || codes[i] == http.StatusOK {
			t.Errorf("node %d: /readyz answered %d (%v) with the database down, want a failure status", i, codes[i], errs[i])
		}
	}
}

// acceptAgain sends lines to n until it accepts, for at most 10 seconds.
func acceptAgain(t *testing.T, n *server, lines []string) {
	t.Helper()
	start := time.Now()
	for attempt := 1; ; attempt++ {
		r := n.with(t).auth(lines...)
		if r.code == accept {
			t.Logf("%s accepted again %v after the database returned (attempt %d)", n.addr, time.Since(start).Round(time.Millisecond), attempt)
			return
		}
		if time.Since(start) > 10*time.Second {
			t.Errorf("%s: still %q 10s after the database returned; %v", n.addr, r.code, r)
			return
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// checkOutageLog checks that n logged the outage at level Error, and that
// no Error line holds the database password or connection string.
func checkOutageLog(t *testing.T, n *server, pg *pgtest.Cluster) {
	t.Helper()
	lines := n.errorLines()
	if len(lines) == 0 {
		t.Errorf("%s logged no Error line during the database outages", n.addr)
		return
	}
	t.Logf("%s: %d Error lines, the first: %s", n.addr, len(lines), lines[0])
	for _, l := range lines {
		if strings.Contains(l, pg.Password()) || strings.Contains(l, "postgres://") {
			t.Errorf("%s: an Error line shows the connection string or its password: %s", n.addr, l)
		}
	}
}
