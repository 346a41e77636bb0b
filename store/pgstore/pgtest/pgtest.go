// Package pgtest runs throwaway PostgreSQL servers for tests: Debian's
// server binaries (initdb, postgres) start a cluster in a temporary
// directory, listening on 127.0.0.1 and a free port, with a generated
// superuser password checked by SCRAM-SHA-256, so that tests exercise a
// DSN with a password. Durability is off (fsync=off): the data is thrown
// away anyway.
//
// The cluster lives in /dev/shm when that is a roomy tmpfs, else in the
// temporary directory.
//
// Tests run as root on CI; PostgreSQL refuses to, so as root the server
// runs as the user "nobody", which owns the cluster's directory.
//
// When the binaries are missing, tests skip with an install hint, unless
// RADIUSD_INTEGRATION_REQUIRED=1, which turns the skip into a failure.
//
// It imports the standard library and pgx only; nothing of radiusd.
package pgtest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// ErrNotInstalled: no PostgreSQL server binaries were found.
var ErrNotInstalled = errors.New("pgtest: PostgreSQL server binaries (initdb, postgres) not found; " +
	"install them with `apt-get install -y postgresql`")

// requiredEnv turns a skip for missing binaries into a failure when "1".
const requiredEnv = "RADIUSD_INTEGRATION_REQUIRED"

// superuser is the cluster's superuser role.
const superuser = "postgres"

// startTimeout bounds how long a starting server may take to accept
// connections, and stopTimeout a fast shutdown.
const (
	startTimeout = 30 * time.Second
	stopTimeout  = 30 * time.Second
)

// Cluster is one throwaway PostgreSQL server. Its methods are safe for
// concurrent use.
type Cluster struct {
	dir      string // root of the cluster: data/, sock/, postgres.log
	bin      string // directory holding initdb and postgres
	port     int
	password string
	cred     *syscall.Credential // nil unless the server runs as another user

	mu     sync.Mutex
	cmd    *exec.Cmd     // nil while stopped
	exited chan struct{} // closed when cmd has exited
	dbSeq  atomic.Int64
}

// NewCluster creates a cluster in a new temporary directory and starts
// it. It returns ErrNotInstalled if the binaries are missing. Close
// stops it and removes the directory.
func NewCluster() (*Cluster, error) {
	bin, err := findBinaries()
	if err != nil {
		return nil, err
	}
	c := &Cluster{bin: bin, password: randomHex(16)}
	if c.cred, err = serverCredential(); err != nil {
		return nil, err
	}
	root := tempRoot()
	sweepStale(root)
	if c.dir, err = os.MkdirTemp(root, "pgtest-"); err != nil {
		return nil, fmt.Errorf("pgtest: %w", err)
	}
	if err := c.initdb(); err != nil {
		c.Close()
		return nil, err
	}
	for attempt := 0; ; attempt++ { // a free port may be taken before the server binds it
		if c.port, err = freePort(); err == nil {
			err = c.Start()
		}
		if err == nil || attempt == 2 {
			break
		}
	}
	if err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// shmMinFree is the free space /dev/shm needs to hold the clusters.
const shmMinFree = 1 << 30

// tempRoot returns where clusters go: /dev/shm when it is a roomy tmpfs
// (no disk writes at all: creating a database is several times faster on
// a busy disk), else the default temporary directory. The path stays
// short, as a Unix socket path must (at most 107 bytes).
func tempRoot() string {
	var st syscall.Statfs_t
	if err := syscall.Statfs("/dev/shm", &st); err == nil && st.Bavail*uint64(st.Bsize) >= shmMinFree {
		if err := syscall.Access("/dev/shm", 0o2 /* W_OK */); err == nil {
			return "/dev/shm"
		}
	}
	return os.TempDir()
}

// staleAge is how old a cluster directory without a running server must
// be before sweepStale removes it.
const staleAge = time.Hour

// sweepStale removes the directories of clusters whose test binary died
// before it could remove them (a panic or a test timeout; the server
// itself stops when its parent dies): an hour old, and no postmaster.pid,
// which a running server keeps. On tmpfs they would hold memory.
func sweepStale(root string) {
	dirs, _ := filepath.Glob(filepath.Join(root, "pgtest-*"))
	for _, dir := range dirs {
		fi, err := os.Stat(dir)
		if err != nil || !fi.IsDir() || time.Since(fi.ModTime()) < staleAge {
			continue
		}
		if _, err := os.Stat(filepath.Join(dir, "data", "postmaster.pid")); errors.Is(err, fs.ErrNotExist) {
			_ = os.RemoveAll(dir)
		}
	}
}

// debianBinaries is where Debian's postgresql-NN packages put them.
var debianBinaries = "/usr/lib/postgresql/*/bin"

// findBinaries returns the directory of initdb and postgres: the newest
// /usr/lib/postgresql/*/bin (Debian's layout), else the PATH.
func findBinaries() (string, error) {
	dirs, _ := filepath.Glob(debianBinaries)
	slices.SortFunc(dirs, func(a, b string) int { return majorVersion(b) - majorVersion(a) })
	for _, dir := range dirs {
		if isExecutable(filepath.Join(dir, "initdb")) && isExecutable(filepath.Join(dir, "postgres")) {
			return dir, nil
		}
	}
	initdb, err := exec.LookPath("initdb")
	if err != nil {
		return "", ErrNotInstalled
	}
	postgres, err := exec.LookPath("postgres")
	if err != nil || filepath.Dir(initdb) != filepath.Dir(postgres) {
		return "", ErrNotInstalled
	}
	return filepath.Dir(initdb), nil
}

// majorVersion returns the major version in /usr/lib/postgresql/N/bin,
// or 0.
func majorVersion(binDir string) int {
	v, _, _ := strings.Cut(filepath.Base(filepath.Dir(binDir)), ".")
	n, _ := strconv.Atoi(v)
	return n
}

// isExecutable reports whether path is a regular file with an execute bit.
func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0
}

// serverCredential returns nil when this process may run the server
// itself, and the credential of "nobody" when it runs as root.
func serverCredential() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("nobody")
	if err != nil {
		return nil, fmt.Errorf("pgtest: running as root and there is no user nobody to run PostgreSQL as: %w", err)
	}
	uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
	gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
	if err1 != nil || err2 != nil {
		return nil, fmt.Errorf("pgtest: user nobody has a non-numeric uid %q or gid %q", u.Uid, u.Gid)
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil // no supplementary groups
}

// initdb creates the cluster's directories and data directory.
func (c *Cluster) initdb() error {
	for _, d := range []string{c.dir, filepath.Join(c.dir, "sock")} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return fmt.Errorf("pgtest: %w", err)
		}
		if err := c.chown(d); err != nil {
			return err
		}
	}
	pwfile := filepath.Join(c.dir, "pwfile")
	if err := os.WriteFile(pwfile, []byte(c.password+"\n"), 0o600); err != nil {
		return fmt.Errorf("pgtest: %w", err)
	}
	defer os.Remove(pwfile)
	if err := c.chown(pwfile); err != nil {
		return err
	}
	cmd := c.command("initdb", "-D", filepath.Join(c.dir, "data"), "-U", superuser, "--pwfile", pwfile,
		"--auth-host=scram-sha-256", "--auth-local=scram-sha-256", "-E", "UTF8", "--locale=C", "--no-sync")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("pgtest: initdb: %w\n%s", err, out)
	}
	return nil
}

// chown gives path to the user the server runs as.
func (c *Cluster) chown(path string) error {
	if c.cred == nil {
		return nil
	}
	if err := os.Chown(path, int(c.cred.Uid), int(c.cred.Gid)); err != nil {
		return fmt.Errorf("pgtest: %w", err)
	}
	return nil
}

// command returns a command running one of the server binaries as the
// server's user, in the cluster directory, with a minimal environment.
func (c *Cluster) command(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(filepath.Join(c.bin, name), args...)
	cmd.Dir = c.dir
	cmd.Env = []string{"PATH=/usr/bin:/bin", "LC_ALL=C", "HOME=" + c.dir}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred}
	return cmd
}

// freePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("pgtest: free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// Start starts the server (again, after Stop) on the same port and waits
// until it accepts connections. Starting a running server does nothing.
func (c *Cluster) Start() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cmd != nil {
		return nil
	}
	logf, err := os.OpenFile(filepath.Join(c.dir, "postgres.log"), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("pgtest: %w", err)
	}
	defer logf.Close()
	cmd := c.command("postgres", "-D", filepath.Join(c.dir, "data"), "-p", strconv.Itoa(c.port),
		"-k", filepath.Join(c.dir, "sock"), "-c", "listen_addresses=127.0.0.1",
		"-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
		"-c", "max_connections=200", "-c", "shared_buffers=32MB", "-c", "unix_socket_permissions=0700")
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr.Pdeathsig = syscall.SIGINT // the server stops if the test binary dies
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("pgtest: start postgres: %w", err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	if err := c.waitReady(exited); err != nil {
		_ = cmd.Process.Kill()
		<-exited
		return err
	}
	c.cmd, c.exited = cmd, exited
	return nil
}

// waitReady polls until the server accepts a connection, it exits, or
// startTimeout passes.
func (c *Cluster) waitReady(exited <-chan struct{}) error {
	deadline := time.Now().Add(startTimeout)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		conn, err := pgx.Connect(ctx, c.DSN(superuser))
		cancel()
		if err == nil {
			return conn.Close(context.Background())
		}
		select {
		case <-exited:
			return fmt.Errorf("pgtest: postgres exited at start; see %s", c.LogPath())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("pgtest: postgres not ready after %v: %w; see %s", startTimeout, err, c.LogPath())
		}
	}
}

// Stop shuts the server down (fast shutdown: sessions are ended, as when
// an administrator stops the service) and waits for it to exit. Stopping
// a stopped server does nothing.
func (c *Cluster) Stop() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cmd == nil {
		return nil
	}
	cmd, exited := c.cmd, c.exited
	c.cmd, c.exited = nil, nil
	_ = signalTree(cmd.Process.Pid, syscall.SIGCONT) // in case it is paused
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		return fmt.Errorf("pgtest: stop postgres: %w", err)
	}
	select {
	case <-exited:
		return nil
	case <-time.After(stopTimeout):
		_ = cmd.Process.Kill()
		<-exited
		return fmt.Errorf("pgtest: postgres did not stop within %v; killed", stopTimeout)
	}
}

// Pause freezes the server and all its sessions (SIGSTOP to the
// postmaster and to each of its children, which PostgreSQL puts in
// process groups of their own): connections stay open but nothing
// answers, as when the network to the database drops packets. Resume
// undoes it; Stop resumes first. Linux only (it reads /proc).
func (c *Cluster) Pause() error { return c.signalAll(syscall.SIGSTOP) }

// Resume lets a paused server run again.
func (c *Cluster) Resume() error { return c.signalAll(syscall.SIGCONT) }

// signalAll sends sig to the running postmaster and to its children.
func (c *Cluster) signalAll(sig syscall.Signal) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cmd == nil {
		return errors.New("pgtest: the server is not running")
	}
	return signalTree(c.cmd.Process.Pid, sig)
}

// signalTree sends sig to pid, then to every process whose parent is pid.
func signalTree(pid int, sig syscall.Signal) error {
	if err := syscall.Kill(pid, sig); err != nil {
		return fmt.Errorf("pgtest: signal %v: %w", sig, err)
	}
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, path := range stats {
		b, err := os.ReadFile(path)
		if err != nil {
			continue // the process has gone
		}
		// "pid (comm) state ppid …"; comm may hold spaces and parentheses.
		fields := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
		if len(fields) < 2 || fields[1] != strconv.Itoa(pid) {
			continue
		}
		child, _ := strconv.Atoi(filepath.Base(filepath.Dir(path)))
		_ = syscall.Kill(child, sig)
	}
	return nil
}

// Close stops the server and removes its directory.
func (c *Cluster) Close() error {
	err := c.Stop()
	if c.dir != "" {
		if rerr := os.RemoveAll(c.dir); err == nil && rerr != nil {
			err = fmt.Errorf("pgtest: %w", rerr)
		}
	}
	return err
}

// DSN returns a postgres:// URL for database on this cluster, as the
// superuser with its password, over TCP to 127.0.0.1 without TLS.
func (c *Cluster) DSN(database string) string {
	u := url.URL{
		Scheme:   "postgres",
		User:     url.UserPassword(superuser, c.password),
		Host:     net.JoinHostPort("127.0.0.1", strconv.Itoa(c.port)),
		Path:     "/" + database,
		RawQuery: "sslmode=disable",
	}
	return u.String()
}

// Password returns the superuser's password (tests check that it never
// appears in an error).
func (c *Cluster) Password() string { return c.password }

// LogPath returns the server's log file.
func (c *Cluster) LogPath() string { return filepath.Join(c.dir, "postgres.log") }

// dbName is what CreateDatabase accepts: no quoting needed.
var dbName = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

// CreateDatabase creates an empty database (UTF8, collation C) and returns
// its DSN.
func (c *Cluster) CreateDatabase(ctx context.Context, name string) (string, error) {
	if !dbName.MatchString(name) {
		return "", fmt.Errorf("pgtest: database name %q is not lower-case letters, digits and _", name)
	}
	conn, err := pgx.Connect(ctx, c.DSN(superuser))
	if err != nil {
		return "", fmt.Errorf("pgtest: create database: %w", err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		return "", fmt.Errorf("pgtest: create database %s: %w", name, err)
	}
	return c.DSN(name), nil
}

// NewDatabase creates a fresh database with a unique name and returns its
// DSN, failing t on error.
func (c *Cluster) NewDatabase(t testing.TB) string {
	t.Helper()
	dsn, err := c.CreateDatabase(t.Context(), fmt.Sprintf("test_%d", c.dbSeq.Add(1)))
	if err != nil {
		t.Fatal(err)
	}
	return dsn
}

// New starts a cluster for t alone (for tests that stop and restart it),
// stopped and removed when t ends. It skips t if the binaries are missing
// (fails it under RADIUSD_INTEGRATION_REQUIRED=1).
func New(t testing.TB) *Cluster {
	t.Helper()
	c, err := NewCluster()
	if err != nil {
		skipOrFail(t, err)
	}
	t.Cleanup(func() {
		if err := c.Close(); err != nil {
			t.Errorf("pgtest: %v", err)
		}
	})
	return c
}

// Start starts a cluster for t alone and returns the DSN of a fresh
// database on it, and a function that stops the cluster and removes it
// (also run when t ends).
func Start(t testing.TB) (dsn string, stop func()) {
	t.Helper()
	c := New(t)
	return c.NewDatabase(t), func() { _ = c.Close() }
}

// shared is the cluster of Shared, started once per test binary.
var shared struct {
	once    sync.Once
	cluster *Cluster
	err     error
}

// Shared returns one cluster shared by every test of the binary, started
// on first use; Main stops it. It skips t if the binaries are missing
// (fails it under RADIUSD_INTEGRATION_REQUIRED=1). Tests must not stop it:
// use New for that.
func Shared(t testing.TB) *Cluster {
	t.Helper()
	shared.once.Do(func() { shared.cluster, shared.err = NewCluster() })
	if shared.err != nil {
		skipOrFail(t, shared.err)
	}
	return shared.cluster
}

// Main runs the tests of m and then stops the shared cluster; call it
// from TestMain as os.Exit(pgtest.Main(m)).
func Main(m *testing.M) int {
	code := m.Run()
	if shared.cluster != nil {
		if err := shared.cluster.Close(); err != nil {
			fmt.Fprintln(os.Stderr, err)
		}
	}
	return code
}

// skipOrFail ends t: a skip for missing binaries unless they are
// required, else a failure.
func skipOrFail(t testing.TB, err error) {
	t.Helper()
	if errors.Is(err, ErrNotInstalled) && os.Getenv(requiredEnv) != "1" {
		t.Skip(err)
		return
	}
	t.Fatal(err)
}

// randomHex returns n random bytes as hex.
func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
