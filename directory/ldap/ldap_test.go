package ldap

import (
	"context"
	"errors"
	"fmt"
	"net"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"radiusd/directory"
	"radiusd/directory/ldap/ldaptest"
	"radiusd/secret"
)

// These tests run against a real slapd (ldaptest); they skip when slapd is
// not installed, unless RADIUSD_INTEGRATION_REQUIRED=1.
//
// BindCount counts every BIND slapd receives: user binds, and the service
// bind made once per new service connection. Tests that count binds either
// use anonymous searches (BindDN "", so every bind is a user bind) or
// subtract the ServiceBinds counter.

// config returns a Config for s using the service account.
func config(s *ldaptest.Slapd) Config {
	log, _ := logger()
	return Config{
		URLs:         []string{s.URL},
		BindDN:       s.BindDN,
		BindPassword: secret.New([]byte(s.BindPassword)),
		BaseDN:       s.BaseDN,
		Logger:       log,
	}
}

// open returns a Directory for cfg, closed by t.Cleanup.
func open(t *testing.T, cfg Config) *Directory {
	t.Helper()
	d, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Close() })
	return d
}

// budget is a request context like radiussrv's: a few seconds at most.
func budget(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), d)
	t.Cleanup(cancel)
	return ctx
}

func isSentinel(err error) bool {
	return errors.Is(err, directory.ErrInvalidCredentials) || errors.Is(err, directory.ErrNotFound) || errors.Is(err, directory.ErrDisabled)
}

// closedURL returns an ldap:// URL on a loopback port nobody listens on.
func closedURL(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return "ldap://" + l.Addr().String()
}

func TestAuthenticate(t *testing.T) {
	s := ldaptest.StartSlapd(t, ldaptest.Options{})
	cfg := config(s)
	log, logs := logger()
	cfg.Logger = log
	d := open(t, cfg)
	tests := []struct {
		name, user, password string
		wantGroups           []string
		wantErr              error
	}{
		{"ok", "alice", "alice-password", []string{"vpn-users"}, nil},
		{"ok, no group", "carol", "carol-password", []string{}, nil},
		{"ok, non-ASCII name", "émile", "emile-password", []string{}, nil},
		{"ok, literal star in name", "star*user", "star-password", []string{}, nil},
		{"wrong password", "alice", "bob-password", nil, directory.ErrInvalidCredentials},
		{"unknown user", "mallory", "alice-password", nil, directory.ErrInvalidCredentials},
		{"service account is not a user", "radiusd", "service-password", nil, directory.ErrInvalidCredentials},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := d.Authenticate(budget(t, 5*time.Second), tt.user, tt.password)
			if !errors.Is(err, tt.wantErr) || (err != nil && !isSentinel(err)) {
				t.Fatalf("Authenticate = %v, want %v", err, tt.wantErr)
			}
			if err == nil && (u.Name != tt.user || !slices.Equal(u.Groups, tt.wantGroups) || u.Disabled) {
				t.Errorf("user = %+v, want groups %q", u, tt.wantGroups)
			}
		})
	}
	for _, pw := range []string{"alice-password", "bob-password", "emile-password", "service-password"} {
		if strings.Contains(logs.String(), pw) {
			t.Errorf("log holds a password: %s", logs)
		}
	}
}

func TestEmptyPasswordSendsNothing(t *testing.T) {
	s := ldaptest.StartSlapd(t, ldaptest.Options{})
	d := open(t, config(s))
	before := s.BindCount(t)
	for _, name := range []string{"alice", "carol", "mallory"} {
		if _, err := d.Authenticate(t.Context(), name, ""); !errors.Is(err, directory.ErrInvalidCredentials) {
			t.Errorf("%s with empty password: %v", name, err)
		}
	}
	if got := s.BindCount(t) - before; got != 0 || d.Stats() != (Stats{}) {
		t.Errorf("empty passwords caused %d binds, stats %+v", got, d.Stats())
	}
}

func TestLookup(t *testing.T) {
	s := ldaptest.StartSlapd(t, ldaptest.Options{})
	cfg := config(s)
	cfg.BindDN, cfg.BindPassword = "", secret.Value{} // anonymous searches: no bind at all
	d := open(t, cfg)
	before := s.BindCount(t)
	tests := []struct {
		name, user string
		wantGroups []string
		wantErr    error
	}{
		{"member", "alice", []string{"vpn-users"}, nil},
		{"no group", "carol", []string{}, nil},
		{"unknown", "mallory", nil, directory.ErrNotFound},
		{"wildcard does not match", "*", nil, directory.ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := d.Lookup(budget(t, 5*time.Second), tt.user)
			if !errors.Is(err, tt.wantErr) || (err == nil && !slices.Equal(u.Groups, tt.wantGroups)) {
				t.Errorf("Lookup = %+v, %v; want %q, %v", u, err, tt.wantGroups, tt.wantErr)
			}
		})
	}
	if got := s.BindCount(t) - before; got != 0 {
		t.Errorf("Lookup made %d binds", got)
	}
	if st := d.Stats(); st.UserBinds != 0 || st.ServiceBinds != 0 {
		t.Errorf("stats %+v", st)
	}
}

func TestGroupSearch(t *testing.T) {
	s := ldaptest.StartSlapd(t, ldaptest.Options{})
	tests := []struct {
		kind    GroupSearch
		members map[string][]string // user → groups; every other base user has none
	}{
		{GroupsMemberOf, map[string][]string{"alice": {"vpn-users"}}},
		{GroupsGroupOfNames, map[string][]string{"alice": {"vpn-users"}}},
		{GroupsGroupOfUniqueNames, map[string][]string{"bob": {"vpn-admins"}}},
		{GroupsPosix, map[string][]string{"dave": {"unix-vpn"}}},
	}
	for _, tt := range tests {
		t.Run(string(tt.kind), func(t *testing.T) {
			cfg := config(s)
			cfg.Groups = tt.kind
			d := open(t, cfg)
			for _, user := range []string{"alice", "bob", "carol", "dave"} {
				u, err := d.Lookup(budget(t, 5*time.Second), user)
				want := tt.members[user]
				if want == nil {
					want = []string{}
				}
				if err != nil || !slices.Equal(u.Groups, want) {
					t.Errorf("%s: groups %q, %v; want %q", user, u.Groups, err, want)
				}
			}
		})
	}
}

func TestTLS(t *testing.T) {
	s := ldaptest.StartSlapd(t, ldaptest.Options{})
	tests := []struct {
		name    string
		change  func(*Config)
		wantErr bool
		wantLog string
	}{
		{"ldaps", func(c *Config) { c.URLs = []string{s.LDAPSURL} }, false, ""},
		{"starttls", func(c *Config) { c.StartTLS = true }, false, ""},
		{"ldaps by host name", func(c *Config) { c.ServerName = "localhost"; c.URLs = []string{s.LDAPSURL} }, false, ""},
		{"ldaps, CA not trusted", func(c *Config) { c.URLs, c.CAFile = []string{s.LDAPSURL}, "" }, true, ""},
		{"starttls, CA not trusted", func(c *Config) { c.StartTLS, c.CAFile = true, "" }, true, ""},
		{"ldaps, wrong server name", func(c *Config) { c.ServerName = "ldap.example.org"; c.URLs = []string{s.LDAPSURL} }, true, ""},
		{"insecure skip verify", func(c *Config) {
			c.URLs, c.CAFile, c.InsecureSkipVerify = []string{s.LDAPSURL}, "", true
		}, false, "level=WARN"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := config(s)
			cfg.CAFile = s.CAFile
			log, logs := logger()
			cfg.Logger = log
			tt.change(&cfg)
			d := open(t, cfg)
			_, err := d.Authenticate(budget(t, 5*time.Second), "alice", "alice-password")
			if (err != nil) != tt.wantErr || isSentinel(err) {
				t.Errorf("Authenticate = %v, want error %v (never a sentinel)", err, tt.wantErr)
			}
			if !strings.Contains(logs.String(), tt.wantLog) {
				t.Errorf("log %q lacks %q", logs, tt.wantLog)
			}
		})
	}
}

func TestStartTLSRefused(t *testing.T) {
	s := ldaptest.StartSlapd(t, ldaptest.Options{NoTLS: true})
	cfg := config(s)
	cfg.StartTLS = true
	d := open(t, cfg)
	_, err := d.Authenticate(budget(t, 5*time.Second), "alice", "alice-password")
	if err == nil || isSentinel(err) || !strings.Contains(err.Error(), s.URL) {
		t.Fatalf("Authenticate = %v; want a backend error naming %s", err, s.URL)
	}
}

func TestHostileNames(t *testing.T) {
	s := ldaptest.StartSlapd(t, ldaptest.Options{})
	d := open(t, config(s))
	tests := []struct {
		name, user string
		refused    bool // refused before any LDAP traffic
	}{
		{"star", "*", false},
		{"star suffix", "a*", false},
		{"prefix of a literal star name", "star*", false},
		{"filter injection", ")(uid=*", false},
		{"or injection", "alice)(|(uid=*", false},
		{"backslash", `\`, false},
		{"escaped star", `\2a`, false},
		{"open paren", "(", false},
		{"close paren", ")", false},
		{"ASCII look-alike", "emile", false},
		{"NUL", "alice\x00", true},
		{"NUL only", "\x00", true},
		{"invalid UTF-8", "alice\xff", true},
		{"300 chars", strings.Repeat("a", 300), true},
		{"300 stars", strings.Repeat("*", 300), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := d.Stats()
			for _, pw := range []string{"alice-password", "star-password", "emile-password"} {
				if u, err := d.Authenticate(budget(t, 5*time.Second), tt.user, pw); !errors.Is(err, directory.ErrInvalidCredentials) {
					t.Errorf("Authenticate(%q) = %+v, %v", tt.user, u, err)
				}
			}
			if u, err := d.Lookup(budget(t, 5*time.Second), tt.user); !errors.Is(err, directory.ErrNotFound) {
				t.Errorf("Lookup(%q) = %+v, %v", tt.user, u, err)
			}
			if tt.refused && d.Stats() != before {
				t.Errorf("refused name caused traffic: %+v → %+v", before, d.Stats())
			}
		})
	}
}

func TestAmbiguousUser(t *testing.T) {
	s := ldaptest.StartSlapd(t, ldaptest.Options{})
	cfg := config(s)
	log, logs := logger()
	cfg.Logger = log
	cfg.UserFilter = "(&(objectClass=inetOrgPerson)(sn={username}))" // every base user has sn Example
	d := open(t, cfg)
	binds := s.BindCount(t)
	if _, err := d.Authenticate(t.Context(), "Example", "alice-password"); !errors.Is(err, directory.ErrInvalidCredentials) {
		t.Errorf("Authenticate = %v", err)
	}
	if _, err := d.Lookup(t.Context(), "Example"); !errors.Is(err, directory.ErrNotFound) {
		t.Errorf("Lookup = %v", err)
	}
	if got := s.BindCount(t) - binds - int(d.Stats().ServiceBinds); got != 0 || d.Stats().UserBinds != 0 {
		t.Errorf("ambiguous name caused %d user binds", got)
	}
	if n := strings.Count(logs.String(), "level=WARN"); n != 2 {
		t.Errorf("%d Warn lines, want 2: %s", n, logs)
	}
}

func TestServerStopped(t *testing.T) {
	s := ldaptest.StartSlapd(t, ldaptest.Options{})
	d := open(t, config(s))
	if _, err := d.Authenticate(t.Context(), "alice", "alice-password"); err != nil {
		t.Fatal(err)
	}
	s.Stop(t)
	start := time.Now()
	_, err := d.Authenticate(budget(t, 5*time.Second), "alice", "alice-password")
	if err == nil || isSentinel(err) || time.Since(start) > 2*time.Second {
		t.Fatalf("Authenticate with the server down = %v after %v; want a backend error, quickly", err, time.Since(start))
	}
	if _, err := d.Lookup(budget(t, 5*time.Second), "alice"); err == nil || isSentinel(err) {
		t.Fatalf("Lookup with the server down = %v", err)
	}
}

func TestHungServer(t *testing.T) {
	s := ldaptest.StartSlapd(t, ldaptest.Options{})
	for _, url := range []string{s.URL, s.LDAPSURL} {
		t.Run(url[:strings.Index(url, ":")], func(t *testing.T) {
			cfg := config(s)
			cfg.URLs, cfg.CAFile = []string{url}, s.CAFile
			d := open(t, cfg)
			if _, err := d.Authenticate(t.Context(), "alice", "alice-password"); err != nil {
				t.Fatal(err)
			}
			before := runtime.NumGoroutine()
			s.Pause(t)
			// First call: pooled connection; later ones dial (the kernel
			// still accepts) and hang in the TLS handshake or service bind.
			for i := range 3 {
				start := time.Now()
				ctx, cancel := context.WithTimeout(t.Context(), 500*time.Millisecond)
				_, err := d.Authenticate(ctx, "alice", "alice-password")
				cancel()
				if took := time.Since(start); !errors.Is(err, context.DeadlineExceeded) || took > time.Second {
					t.Errorf("call %d while hung: %v after %v; want a deadline error within 1s", i, err, took)
				}
			}
			s.Resume(t)
			waitGoroutines(t, before)
			if _, err := d.Authenticate(budget(t, 5*time.Second), "alice", "alice-password"); err != nil {
				t.Errorf("after Resume: %v", err)
			}
		})
	}
}

// waitGoroutines waits up to 2s for the goroutine count to drop back to
// at most want plus a little slack (runtime and test helpers).
func waitGoroutines(t *testing.T, want int) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for runtime.NumGoroutine() > want+2 {
		if time.Now().After(deadline) {
			t.Fatalf("goroutines: %d, want at most %d", runtime.NumGoroutine(), want+2)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestRestartRetriesStaleConnections(t *testing.T) {
	s := ldaptest.StartSlapd(t, ldaptest.Options{})
	d := open(t, config(s))
	for range 2 {
		if _, err := d.Authenticate(t.Context(), "alice", "alice-password"); err != nil {
			t.Fatal(err)
		}
	}
	dials := d.Stats().Dials
	s.Stop(t)
	s.Start(t)
	for _, name := range []string{"alice", "bob"} {
		if _, err := d.Authenticate(budget(t, 5*time.Second), name, name+"-password"); err != nil {
			t.Errorf("%s after restart: %v", name, err)
		}
	}
	if got := d.Stats().Dials - dials; got != 2 {
		t.Errorf("after restart %d dials, want 2 (one service, one bind)", got)
	}
}

// staleConn is a connection whose writes fail once the test moves to a
// later epoch, like a connection a firewall or a crashed server dropped
// silently: go-ldap notices only when it sends.
type staleConn struct {
	net.Conn
	born  int64
	epoch *atomic.Int64
}

func (c *staleConn) Write(p []byte) (int, error) {
	if c.born < c.epoch.Load() {
		return 0, syscall.EPIPE
	}
	return c.Conn.Write(p)
}

func TestStaleConnectionsRetried(t *testing.T) {
	s := ldaptest.StartSlapd(t, ldaptest.Options{})
	d := open(t, config(s))
	var epoch atomic.Int64
	d.dialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return &staleConn{Conn: c, born: epoch.Load(), epoch: &epoch}, nil
	}
	if _, err := d.Authenticate(t.Context(), "alice", "alice-password"); err != nil {
		t.Fatal(err)
	}
	epoch.Add(1) // both pooled connections are now dead
	before, binds := d.Stats(), s.BindCount(t)
	if _, err := d.Authenticate(budget(t, 5*time.Second), "alice", "alice-password"); err != nil {
		t.Fatalf("Authenticate on stale pooled connections: %v", err)
	}
	after := d.Stats()
	if after.Dials-before.Dials != 2 || after.UserBinds-before.UserBinds != 2 || after.Searches-before.Searches != 3 {
		t.Errorf("stats %+v → %+v; want 2 dials, 2 bind attempts, 3 searches (user search retried, group search)", before, after)
	}
	if got := s.BindCount(t) - binds; got != 2 { // the service bind of the new connection and the user bind
		t.Errorf("server saw %d binds, want 2", got)
	}
}

func TestFailover(t *testing.T) {
	s := ldaptest.StartSlapd(t, ldaptest.Options{})
	cfg := config(s)
	down := closedURL(t)
	cfg.URLs = []string{down, s.URL}
	d := open(t, cfg)
	if _, err := d.Authenticate(budget(t, 5*time.Second), "alice", "alice-password"); err != nil {
		t.Fatal(err)
	}
	// The search connection failed over; the bind connection skipped the
	// failed URL for the rest of the call.
	if st := d.Stats(); st.Failovers != 1 || st.Dials != 2 {
		t.Errorf("stats %+v; want 1 failover, 2 dials", st)
	}
	cfg.URLs = []string{down, closedURL(t)}
	_, err := open(t, cfg).Authenticate(budget(t, 5*time.Second), "alice", "alice-password")
	if err == nil || isSentinel(err) || !strings.Contains(err.Error(), down) {
		t.Errorf("all servers down: %v", err)
	}
}

func TestOneUserBindPerAuthenticate(t *testing.T) {
	s := ldaptest.StartSlapd(t, ldaptest.Options{})
	anonymous := config(s)
	anonymous.BindDN, anonymous.BindPassword = "", secret.Value{}
	for name, cfg := range map[string]Config{"anonymous search": anonymous, "service account": config(s)} {
		t.Run(name, func(t *testing.T) {
			d := open(t, cfg)
			binds, before := s.BindCount(t), d.Stats()
			logins := []struct{ user, password string }{
				{"alice", "alice-password"}, {"alice", "wrong"}, {"bob", "bob-password"}, {"carol", "x"}, {"alice", "alice-password"},
			}
			for _, l := range logins {
				_, _ = d.Authenticate(budget(t, 5*time.Second), l.user, l.password)
			}
			after := d.Stats()
			userBinds := s.BindCount(t) - binds - int(after.ServiceBinds-before.ServiceBinds)
			if userBinds != len(logins) || after.UserBinds-before.UserBinds != uint64(len(logins)) {
				t.Errorf("%d Authenticate calls made %d user binds (server) and %d (stats)",
					len(logins), userBinds, after.UserBinds-before.UserBinds)
			}
			if cfg.BindDN != "" && after.ServiceBinds != 1 {
				t.Errorf("%d service binds; want 1 (one pooled service connection)", after.ServiceBinds)
			}
		})
	}
}

func TestCache(t *testing.T) {
	s := ldaptest.StartSlapd(t, ldaptest.Options{})
	cfg := config(s)
	cfg.CacheTTL = time.Minute
	d := open(t, cfg)
	now := time.Now()
	d.now = func() time.Time { return now }
	if _, err := d.Lookup(t.Context(), "alice"); err != nil {
		t.Fatal(err)
	}
	searches, binds := d.Stats().Searches, s.BindCount(t)
	u, err := d.Lookup(t.Context(), "alice")
	if err != nil || d.Stats().Searches != searches || !slices.Equal(u.Groups, []string{"vpn-users"}) {
		t.Fatalf("cached Lookup = %+v, %v, searches %d → %d", u, err, searches, d.Stats().Searches)
	}
	if _, err := d.Authenticate(t.Context(), "alice", "alice-password"); err != nil || d.Stats().Searches != searches {
		t.Fatalf("cached Authenticate = %v, searches %d → %d", err, searches, d.Stats().Searches)
	}
	if got := s.BindCount(t) - binds; got != 1 {
		t.Errorf("cached Authenticate made %d binds, want 1 (the password is never cached)", got)
	}
	if _, err := d.Authenticate(t.Context(), "alice", "wrong"); !errors.Is(err, directory.ErrInvalidCredentials) {
		t.Fatalf("wrong password with a cached entry: %v", err)
	}
	if st := d.Stats(); st.CacheHits != 3 {
		t.Errorf("cache hits %d, want 3", st.CacheHits)
	}
	_, _ = d.Lookup(t.Context(), "alice") // forgotten after the failed bind
	_, _ = d.Lookup(t.Context(), "alice") // cached again
	now = now.Add(time.Minute)
	_, _ = d.Lookup(t.Context(), "alice") // expired
	if got := d.Stats().Searches - searches; got != 4 {
		t.Errorf("%d searches after forget and expiry, want 4 (user + group, twice)", got)
	}
}

func TestIdleConnectionsExpire(t *testing.T) {
	s := ldaptest.StartSlapd(t, ldaptest.Options{})
	d := open(t, config(s))
	now := time.Now()
	d.now = func() time.Time { return now }
	login := func() {
		t.Helper()
		if _, err := d.Authenticate(t.Context(), "alice", "alice-password"); err != nil {
			t.Fatal(err)
		}
	}
	login()
	now = now.Add(maxIdle)
	login()
	if got := d.Stats().Dials; got != 2 {
		t.Errorf("dials %d; want 2 (reused at exactly %v idle)", got, maxIdle)
	}
	now = now.Add(maxIdle + time.Second)
	login()
	if got := d.Stats().Dials; got != 4 {
		t.Errorf("dials %d; want 4 (both idle connections replaced)", got)
	}
}

func TestCheck(t *testing.T) {
	s := ldaptest.StartSlapd(t, ldaptest.Options{})
	down := closedURL(t)
	tests := []struct {
		name   string
		change func(*Config)
		want   []string // substrings of the error; nil = no error
	}{
		{"ok", func(*Config) {}, nil},
		{"ldaps and starttls", func(c *Config) { c.URLs, c.StartTLS, c.CAFile = []string{s.URL, s.LDAPSURL}, true, s.CAFile }, nil},
		{"one server down", func(c *Config) { c.URLs = []string{down, s.URL} }, []string{down}},
		{"wrong service password", func(c *Config) { c.BindPassword = secret.New([]byte("hunter2")) }, []string{s.URL, "service bind"}},
		{"wrong base DN", func(c *Config) { c.BaseDN = "dc=nowhere" }, []string{s.URL, "search"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := config(s)
			tt.change(&cfg)
			err := open(t, cfg).Check(budget(t, 5*time.Second))
			if (err != nil) != (tt.want != nil) || (err != nil && strings.Contains(err.Error(), "hunter2")) {
				t.Fatalf("Check = %v, want %q", err, tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Check = %v, lacks %q", err, w)
				}
			}
		})
	}
}

func TestClosed(t *testing.T) {
	s := ldaptest.StartSlapd(t, ldaptest.Options{})
	d := open(t, config(s))
	if _, err := d.Authenticate(t.Context(), "alice", "alice-password"); err != nil {
		t.Fatal(err)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Authenticate(t.Context(), "alice", "alice-password"); err == nil || isSentinel(err) {
		t.Errorf("Authenticate after Close = %v", err)
	}
}

func TestConcurrent(t *testing.T) {
	const users = 50
	s := ldaptest.StartSlapd(t, ldaptest.Options{Users: users})
	d := open(t, config(s)) // PoolSize 8: enough for 8 workers
	errs := make(chan error, 8)
	for w := range 8 {
		go func() {
			var err error
			for i := w; i < 200 && err == nil; i += 8 {
				n := i % users
				_, err = d.Authenticate(budget(t, 5*time.Second), ldaptest.UserName(n), ldaptest.UserPassword(n))
				if err != nil {
					err = fmt.Errorf("%s: %w", ldaptest.UserName(n), err)
				}
			}
			errs <- err
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	if st := d.Stats(); st.ServiceBinds > 8 || st.Dials > 16 {
		t.Errorf("stats %+v: pool not reused", st)
	}
}

func TestNoGroups(t *testing.T) {
	s := ldaptest.StartSlapd(t, ldaptest.Options{})
	for _, search := range []GroupSearch{GroupsGroupOfNames, GroupsMemberOf, GroupsPosix} {
		t.Run(string(search), func(t *testing.T) {
			cfg := config(s)
			cfg.Groups, cfg.NoGroups = search, true
			d := open(t, cfg)
			u, err := d.Authenticate(t.Context(), "alice", "alice-password")
			if err != nil || len(u.Groups) != 0 {
				t.Fatalf("Authenticate = %+v, %v; want no groups", u, err)
			}
			if got := d.Stats().Searches; got != 1 {
				t.Errorf("%d searches, want the user search alone", got)
			}
		})
	}
}

func TestBurstWaitsForConnections(t *testing.T) {
	s := ldaptest.StartSlapd(t, ldaptest.Options{})
	cfg := config(s)
	cfg.PoolSize = 2
	d := open(t, cfg)
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for range 20 {
		wg.Go(func() {
			_, err := d.Authenticate(t.Context(), "alice", "alice-password")
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if st := d.Stats(); st.Dials > 4 {
		t.Errorf("%d dials for 20 concurrent logins, want at most 4 (2 per kind)", st.Dials)
	}
}
