package userfile

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"

	"radiusd/directory"
)

// bcryptHashOf hashes pw at the minimum cost, to keep tests fast.
func bcryptHashOf(t testing.TB, pw string) string {
	t.Helper()
	h, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	return string(h)
}

// argon2idPHC returns a PHC string for pw with small parameters.
func argon2idPHC(pw string, m, tm uint32, p uint8) string {
	salt := []byte("0123456789abcdef")
	key := argon2.IDKey([]byte(pw), salt, tm, m, p, 32)
	return fmt.Sprintf("$argon2id$v=19$m=%d,t=%d,p=%d$%s$%s", m, tm, p,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key))
}

// writeFile writes a users file into a temporary directory.
func writeFile(t testing.TB, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "users.yaml")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func newDir(t testing.TB, content string, maxHashes int) *Directory {
	t.Helper()
	d, err := New(Options{Path: writeFile(t, content), MaxConcurrentHashes: maxHashes}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// fixture returns a users file covering every hash kind and flag.
func fixture(t testing.TB) string {
	t.Helper()
	b := bcryptHashOf(t, "pw-alice")
	return fmt.Sprintf(`users:
  - name: alice
    password_hash: %q
    groups: [vpn-users, admins]
    email: alice@example.org
    mobile: "+49 151 1234567"
  - name: Bob            # mixed case in the file
    password_hash: %q
    groups: [vpn-users]
    email: Bob.Builder+otp@Example.ORG # kept as written
  - name: carol
    password_hash: %q
    disabled: true
  - name: dave           # no password: otp-only clients
    mobile: (030) 123-4567
  - name: erin
    password_hash: %q
  - name: frank
    password_hash: %q
  - name: zoë
    password_hash: %q
`, b, argon2idPHC("pw-bob", 64, 1, 1), bcryptHashOf(t, "pw-carol"),
		"$2b$"+b[4:], // the same hash under the $2b$ and $2y$ prefixes
		"$2y$"+bcryptHashOf(t, "pw-frank")[4:], bcryptHashOf(t, "pw-zoë"))
}

// sameUser compares every field of two users.
func sameUser(a, b directory.User) bool {
	return a.Name == b.Name && slices.Equal(a.Groups, b.Groups) && a.Disabled == b.Disabled &&
		a.Email == b.Email && a.Mobile == b.Mobile
}

func TestAuthenticate(t *testing.T) {
	d := newDir(t, fixture(t), 0)
	tests := []struct {
		name, user, password string
		want                 directory.User
		wantErr              error
	}{
		{name: "bcrypt", user: "alice", password: "pw-alice", want: directory.User{Name: "alice", Groups: []string{"vpn-users", "admins"}, Email: "alice@example.org", Mobile: "+49 151 1234567"}},
		{name: "argon2id", user: "bob", password: "pw-bob", want: directory.User{Name: "bob", Groups: []string{"vpn-users"}, Email: "Bob.Builder+otp@Example.ORG"}},
		{name: "mixed-case name", user: "ALICE", password: "pw-alice", want: directory.User{Name: "alice", Groups: []string{"vpn-users", "admins"}, Email: "alice@example.org", Mobile: "+49 151 1234567"}},
		{name: "mixed-case in file", user: "bOB", password: "pw-bob", want: directory.User{Name: "bob", Groups: []string{"vpn-users"}, Email: "Bob.Builder+otp@Example.ORG"}},
		{name: "$2b$ prefix", user: "erin", password: "pw-alice", want: directory.User{Name: "erin"}},
		{name: "$2y$ prefix", user: "frank", password: "pw-frank", want: directory.User{Name: "frank"}},
		{name: "non-ASCII", user: "ZOË", password: "pw-zoë", want: directory.User{Name: "zoë"}},
		{name: "wrong bcrypt password", user: "alice", password: "pw-bob", wantErr: directory.ErrInvalidCredentials},
		{name: "wrong argon2id password", user: "bob", password: "pw-alice", wantErr: directory.ErrInvalidCredentials},
		{name: "password case matters", user: "alice", password: "PW-ALICE", wantErr: directory.ErrInvalidCredentials},
		{name: "empty password", user: "alice", password: "", wantErr: directory.ErrInvalidCredentials},
		{name: "unknown user", user: "mallory", password: "pw-alice", wantErr: directory.ErrInvalidCredentials},
		{name: "disabled, right password", user: "carol", password: "pw-carol", wantErr: directory.ErrDisabled},
		{name: "disabled, wrong password", user: "carol", password: "nope", wantErr: directory.ErrInvalidCredentials},
		{name: "no hash", user: "dave", password: "anything", wantErr: directory.ErrInvalidCredentials},
		{name: "NUL in name", user: "alice\x00", password: "pw-alice", wantErr: directory.ErrInvalidCredentials},
		{name: "invalid UTF-8 name", user: "al\xffice", password: "pw-alice", wantErr: directory.ErrInvalidCredentials},
		{name: "254-byte name", user: strings.Repeat("a", 254), password: "pw-alice", wantErr: directory.ErrInvalidCredentials},
		{name: "1 MiB name", user: strings.Repeat("é", 1<<19), password: "pw-alice", wantErr: directory.ErrInvalidCredentials},
		{name: "empty name", user: "", password: "pw-alice", wantErr: directory.ErrInvalidCredentials},
		{name: "padded name", user: " alice", password: "pw-alice", wantErr: directory.ErrInvalidCredentials},
		{name: "NUL in password", user: "alice", password: "pw-alice\x00", wantErr: directory.ErrInvalidCredentials},
		{name: "password over 72 bytes", user: "alice", password: "pw-alice" + strings.Repeat("x", 72), wantErr: directory.ErrInvalidCredentials},
		{name: "1 MiB password on argon2id", user: "bob", password: strings.Repeat("x", 1<<20), wantErr: directory.ErrInvalidCredentials},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := d.Authenticate(t.Context(), tt.user, tt.password)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if !sameUser(got, tt.want) {
				t.Errorf("user = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestLookup(t *testing.T) {
	d := newDir(t, fixture(t), 0)
	tests := []struct {
		name, user string
		want       directory.User
		wantErr    error
	}{
		{name: "exists", user: "alice", want: directory.User{Name: "alice", Groups: []string{"vpn-users", "admins"}, Email: "alice@example.org", Mobile: "+49 151 1234567"}},
		{name: "mixed case", user: "BoB", want: directory.User{Name: "bob", Groups: []string{"vpn-users"}, Email: "Bob.Builder+otp@Example.ORG"}},
		{name: "no hash still exists", user: "dave", want: directory.User{Name: "dave", Mobile: "(030) 123-4567"}},
		{name: "disabled", user: "Carol", wantErr: directory.ErrDisabled},
		{name: "unknown", user: "mallory", wantErr: directory.ErrNotFound},
		{name: "empty", user: "", wantErr: directory.ErrNotFound},
		{name: "NUL", user: "dave\x00", wantErr: directory.ErrNotFound},
		{name: "invalid UTF-8", user: "\xc3\x28", wantErr: directory.ErrNotFound},
		{name: "254 bytes", user: strings.Repeat("d", 254), wantErr: directory.ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := d.Lookup(t.Context(), tt.user)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if !sameUser(got, tt.want) {
				t.Errorf("user = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestCancelledContext(t *testing.T) {
	d := newDir(t, fixture(t), 0)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := d.Authenticate(ctx, "alice", "pw-alice"); !errors.Is(err, context.Canceled) {
		t.Errorf("Authenticate err = %v, want context.Canceled", err)
	}
	if _, err := d.Lookup(ctx, "alice"); !errors.Is(err, context.Canceled) {
		t.Errorf("Lookup err = %v, want context.Canceled", err)
	}
}

func TestGroupsAreCopies(t *testing.T) {
	d := newDir(t, fixture(t), 0)
	u, err := d.Lookup(t.Context(), "alice")
	if err != nil {
		t.Fatal(err)
	}
	u.Groups[0] = "root"
	u, err = d.Authenticate(t.Context(), "alice", "pw-alice")
	if err != nil {
		t.Fatal(err)
	}
	if u.Groups[0] != "vpn-users" {
		t.Errorf("a caller changed the directory's groups to %q", u.Groups[0])
	}
}

// TestSemaphoreHonoursContext fills the only hash slot, so that a check
// must wait, and shows that it gives up when its ctx ends and proceeds
// once the slot frees.
func TestSemaphoreHonoursContext(t *testing.T) {
	d := newDir(t, fixture(t), 1)
	d.sem <- struct{}{} // a check in progress

	past, cancel := context.WithDeadline(t.Context(), time.Unix(0, 0))
	defer cancel()
	if _, err := d.Authenticate(past, "alice", "pw-alice"); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("expired deadline: err = %v", err)
	}

	ctx, cancel2 := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		_, err := d.Authenticate(ctx, "alice", "pw-alice")
		done <- err
	}()
	cancel2()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled while waiting: err = %v", err)
	}

	go func() {
		_, err := d.Authenticate(t.Context(), "alice", "pw-alice")
		done <- err
	}()
	<-d.sem // the check in progress ends
	if err := <-done; err != nil {
		t.Errorf("after the slot freed: err = %v", err)
	}
	if len(d.sem) != 0 {
		t.Errorf("%d slots still held", len(d.sem))
	}
}

func TestDummyCostsAFullHash(t *testing.T) {
	tests := []struct {
		name, file, want string
	}{
		{name: "no hashes", file: "users: [{name: dave}]", want: "bcrypt:10"},
		{name: "empty", file: "", want: "bcrypt:10"},
		{name: "bcrypt", file: fmt.Sprintf("users: [{name: a, password_hash: %q}]", bcryptHashOf(t, "x")), want: "bcrypt:4"},
		{name: "most common wins", file: fmt.Sprintf("users: [{name: a, password_hash: %q}, {name: b, password_hash: %q}, {name: c, password_hash: %q}]",
			bcryptHashOf(t, "x"), argon2idPHC("y", 64, 1, 1), argon2idPHC("z", 64, 1, 1)), want: "argon2id:m=64,t=1,p=1,k=32"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			set, err := parse("users.yaml", []byte(tt.file))
			if err != nil {
				t.Fatal(err)
			}
			if got := set.dummy.cost(); got != tt.want {
				t.Errorf("dummy cost = %q, want %q", got, tt.want)
			}
			if b, ok := set.dummy.(bcryptHash); ok && b.n == bcrypt.MinCost {
				// well formed: bcrypt runs in full and then mismatches
				err := bcrypt.CompareHashAndPassword(b.hash, []byte("x"))
				if !errors.Is(err, bcrypt.ErrMismatchedHashAndPassword) {
					t.Errorf("dummy compare: %v, want a mismatch", err)
				}
			}
		})
	}
}

func TestNewOptions(t *testing.T) {
	tests := []struct {
		name string
		opts Options
	}{
		{name: "no path", opts: Options{}},
		{name: "negative hashes", opts: Options{Path: writeFile(t, ""), MaxConcurrentHashes: -1}},
		{name: "missing file", opts: Options{Path: filepath.Join(t.TempDir(), "nope.yaml")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := New(tt.opts, nil); err == nil {
				t.Error("New succeeded")
			}
		})
	}
	d, err := New(Options{Path: writeFile(t, "")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if cap(d.sem) < 1 || d.Len() != 0 {
		t.Errorf("slots = %d, Len = %d", cap(d.sem), d.Len())
	}
}

func TestReloadKeepsOldSetOnError(t *testing.T) {
	path := writeFile(t, fixture(t))
	d, err := New(Options{Path: path}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if d.Len() != 7 {
		t.Fatalf("Len = %d, want 7", d.Len())
	}
	if err := os.WriteFile(path, []byte("users:\n  - name: alice\n    pasword_hash: x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := d.Reload(); err == nil || !strings.Contains(err.Error(), `line 3: unknown key "pasword_hash"`) {
		t.Fatalf("Reload err = %v", err)
	}
	if _, err := d.Authenticate(t.Context(), "alice", "pw-alice"); err != nil || d.Len() != 7 {
		t.Fatalf("old set gone: err = %v, Len = %d", err, d.Len())
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := d.Reload(); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("Reload of a missing file: err = %v", err)
	}
	if err := os.WriteFile(path, []byte("users: [{name: newbie}]"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := d.Reload(); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Lookup(t.Context(), "alice"); !errors.Is(err, directory.ErrNotFound) || d.Len() != 1 {
		t.Errorf("after reload: alice err = %v, Len = %d", err, d.Len())
	}
}

// TestConcurrentAuthenticateDuringReload is for -race: checks keep their
// answers while the file is swapped between two versions that both hold
// alice.
func TestConcurrentAuthenticateDuringReload(t *testing.T) {
	v1 := fixture(t)
	v2 := fmt.Sprintf("users: [{name: alice, password_hash: %q}]", bcryptHashOf(t, "pw-alice"))
	path := writeFile(t, v1)
	d, err := New(Options{Path: path, MaxConcurrentHashes: 2}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 20 {
				if _, err := d.Authenticate(t.Context(), "Alice", "pw-alice"); err != nil {
					t.Errorf("Authenticate: %v", err)
				}
				if _, err := d.Lookup(t.Context(), "alice"); err != nil {
					t.Errorf("Lookup: %v", err)
				}
			}
		})
	}
	for i := range 20 {
		content := v1
		if i%2 == 0 {
			content = v2
		}
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := d.Reload(); err != nil {
			t.Fatal(err)
		}
	}
	wg.Wait()
}

func BenchmarkAuthenticateBcrypt10(b *testing.B) {
	h, err := HashPassword([]byte("correct horse battery staple"), 10)
	if err != nil {
		b.Fatal(err)
	}
	d := newDir(b, fmt.Sprintf("users: [{name: alice, password_hash: %q}]", h), 0)
	for b.Loop() {
		if _, err := d.Authenticate(b.Context(), "alice", "correct horse battery staple"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAuthenticateUnknownUser should match BenchmarkAuthenticateBcrypt10:
// the dummy check has the cost of the file's hashes.
func BenchmarkAuthenticateUnknownUser(b *testing.B) {
	h, err := HashPassword([]byte("correct horse battery staple"), 10)
	if err != nil {
		b.Fatal(err)
	}
	d := newDir(b, fmt.Sprintf("users: [{name: alice, password_hash: %q}]", h), 0)
	for b.Loop() {
		if _, err := d.Authenticate(b.Context(), "mallory", "correct horse battery staple"); !errors.Is(err, directory.ErrInvalidCredentials) {
			b.Fatal(err)
		}
	}
}

// BenchmarkAuthenticateArgon2id uses OWASP's minimum: m=19 MiB, t=2, p=1.
func BenchmarkAuthenticateArgon2id(b *testing.B) {
	d := newDir(b, fmt.Sprintf("users: [{name: alice, password_hash: %q}]", argon2idPHC("pw", 19*1024, 2, 1)), 0)
	for b.Loop() {
		if _, err := d.Authenticate(b.Context(), "alice", "pw"); err != nil {
			b.Fatal(err)
		}
	}
}
