//go:build integration

package integration

import (
	"bufio"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestBrokenConfig: an unknown key makes serve and check exit 1 with a
// message that names the key and its line.
func TestBrokenConfig(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, old, new, key string
	}{
		{"top level", "lockout:", "lisen: [\"127.0.0.1:1\"]\nlockout:", "lisen"},
		{"nested", "duration: 15m", "duraton: 15m", "duraton"},
		{"client", "    mode:", "    secert: x\n    mode:", "secert"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newServer(t, options{})
			text := strings.Replace(s.configYAML(freePort(t)), tt.old, tt.new, 1)
			s.writeFile("radiusd.yaml", text, 0o644)
			want := fmt.Sprintf("line %d", lineOf(t, text, tt.key))

			res, exited := s.serveExit(nil)
			if !exited {
				t.Fatal("radiusd serve started with an unknown key in the config")
			}
			checkFailure(t, "serve", res, tt.key, want)
			checkFailure(t, "check", s.cli("check"), tt.key, want)
		})
	}
}

// lineOf returns the 1-based line of text that holds key.
func lineOf(t *testing.T, text, key string) int {
	t.Helper()
	for i, l := range strings.Split(text, "\n") {
		if strings.Contains(l, key) {
			return i + 1
		}
	}
	t.Fatalf("%q not in config", key)
	return 0
}

// checkFailure checks exit status 1 and that the output names every want,
// without a Go panic.
func checkFailure(t *testing.T, what string, res result, want ...string) {
	t.Helper()
	out := res.stdout + res.stderr
	if res.code != 1 {
		t.Errorf("radiusd %s: exit %d, want 1; output:\n%s", what, res.code, out)
	}
	for _, w := range want {
		if !strings.Contains(out, w) {
			t.Errorf("radiusd %s: output does not name %q:\n%s", what, w, out)
		}
	}
	if strings.Contains(out, "panic:") || strings.Contains(out, "goroutine ") {
		t.Errorf("radiusd %s crashed:\n%s", what, out)
	}
}

// TestKeyFile: a key file readable by others or with the wrong content is
// refused with a clear error by serve and check.
func TestKeyFile(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		content string
		perm    os.FileMode
		want    []string
	}{
		{"mode 0644", randomKey(), 0o644, []string{"radiusd.key", "0644"}},
		{"not hex", strings.Repeat("zz", 32) + "\n", 0o600, []string{"radiusd.key", "hex"}},
		{"too short", "0123456789abcdef\n", 0o600, []string{"radiusd.key", "64 hex digits"}},
		{"empty", "", 0o600, []string{"radiusd.key"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newServer(t, options{})
			s.writeFile("data/radiusd.key", tt.content, tt.perm)
			res, exited := s.serveExit(nil)
			if !exited {
				t.Fatal("radiusd serve started with a bad key file")
			}
			checkFailure(t, "serve", res, tt.want...)
			checkFailure(t, "check", s.cli("check"), tt.want...)
			checkFailure(t, "user list", s.cli("user list"), tt.want...)
		})
	}
}

// randomKey returns the text of a valid key file.
func randomKey() string {
	b := make([]byte, 32)
	rand.Read(b)
	key := hex.EncodeToString(b)
	sensitive.remember("store key", key)
	return key + "\n"
}

// TestReadOnlyStore: a database directory or file radiusd cannot write is
// a clear error at start (or, if radiusd starts, a Reject), never a crash.
// When the tests run as root, radiusd runs as nobody here.
func TestReadOnlyStore(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		prepare func(t *testing.T, s *server, data string)
	}{
		{"read-only directory, no database yet", func(t *testing.T, s *server, data string) {}},
		{"read-only database file", func(t *testing.T, s *server, data string) {
			alice := s.opts.users[0]
			s.enroll(alice) // creates the database, as root when the tests run as root
			mustChmod(t, filepath.Join(data, "radiusd.db"), 0o444)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newServerIn(t, worldReadableDir(t), options{users: []user{newUser("alice")}})
			data := filepath.Join(s.dir, "data")
			key := s.writeFile("data/radiusd.key", randomKey(), 0o600)
			chownForRadiusd(t, key)
			tt.prepare(t, s, data)
			mustChmod(t, data, 0o555)
			t.Cleanup(func() { os.Chmod(data, 0o755) })

			res, exited := s.serveExit(unprivileged)
			if exited {
				checkFailure(t, "serve", res, "radiusd.db")
				return
			}
			t.Log("radiusd started on a read-only store; a login must be rejected")
			if !s.waitReady(s.proc, 5*time.Second) {
				t.Fatal("radiusd exited")
			}
			expect(t, s.auth(pap("alice", s.opts.users[0].password+"123456")...), reject, "")
		})
	}
}

// worldReadableDir returns a new directory that nobody can read; cleanup
// removes it.
func worldReadableDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "radiusd-integration-ro-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	mustChmod(t, dir, 0o755)
	return dir
}

// mustChmod sets the mode of path or fails the test.
func mustChmod(t *testing.T, path string, perm os.FileMode) {
	t.Helper()
	if err := os.Chmod(path, perm); err != nil {
		t.Fatal(err)
	}
}

// TestStoreLockedDuringServe: while another process holds an exclusive
// lock on the database, a valid login comes back as Access-Reject (after
// the request timeout), never as Accept; once the lock is gone the same
// code is accepted, since it was never used.
func TestStoreLockedDuringServe(t *testing.T) {
	t.Parallel()
	requireTool(t, "sqlite3")
	alice := newUser("alice")
	s := startServer(t, options{users: []user{alice}, requestTimeout: "1s"})
	a := s.enroll(alice)
	code := a.code(t, 0)

	unlock := lockDatabase(t, filepath.Join(s.dir, "data", "radiusd.db"))
	start := time.Now()
	r := radclient(t, s.addr, "auth", s.secret, withMA(pap("alice", a.password+code)), 10)
	expect(t, r, reject, "")
	t.Logf("rejected after %v", time.Since(start).Round(time.Millisecond))
	unlock()

	expect(t, s.auth(pap("alice", a.password+code)...), accept, "")
}

// lockDatabase holds BEGIN EXCLUSIVE on the SQLite database at path in a
// sqlite3 process until the returned function is called.
func lockDatabase(t *testing.T, path string) func() {
	t.Helper()
	cmd := exec.Command("sqlite3", path)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	io.WriteString(stdin, "BEGIN EXCLUSIVE;\nSELECT 'locked';\n")
	waitForLine(t, stdout, "locked", 5*time.Second)
	var once bool
	unlock := func() {
		if once {
			return
		}
		once = true
		io.WriteString(stdin, "ROLLBACK;\n.quit\n")
		stdin.Close()
		if err := waitExit(cmd, 5*time.Second); err != nil {
			t.Errorf("sqlite3: %v", err)
		}
	}
	t.Cleanup(unlock)
	return unlock
}

// waitForLine reads r until a line equal to want, within limit.
func waitForLine(t *testing.T, r io.Reader, want string, limit time.Duration) {
	t.Helper()
	found := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			if strings.TrimSpace(sc.Text()) == want {
				found <- true
				io.Copy(io.Discard, r)
				return
			}
		}
		found <- false
	}()
	select {
	case ok := <-found:
		if !ok {
			t.Fatalf("sqlite3 ended without printing %q", want)
		}
	case <-time.After(limit):
		t.Fatalf("sqlite3 did not print %q within %v", want, limit)
	}
}

// waitExit waits for cmd, killing it after limit.
func waitExit(cmd *exec.Cmd, limit time.Duration) error {
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-time.After(limit):
		cmd.Process.Kill()
		<-done
		return fmt.Errorf("no exit within %v", limit)
	}
}

// TestKeyFileReplaced: a database opened with another valid key file (a
// wrong one, or one radiusd created after the original went missing) is
// refused at start with a clear error, not on every login.
func TestKeyFileReplaced(t *testing.T) {
	t.Parallel()
	alice := newUser("alice")
	s := startServer(t, options{users: []user{alice}})
	s.enroll(alice)
	s.stop()
	s.writeFile("data/radiusd.key", randomKey(), 0o600)
	res, exited := s.serveExit(nil)
	if !exited {
		t.Fatal("radiusd serve started with another key file")
	}
	checkFailure(t, "serve", res, "key file does not match this database")
	checkFailure(t, "check", s.cli("check"), "key file does not match this database")
}
