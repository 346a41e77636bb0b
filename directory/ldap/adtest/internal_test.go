//go:build unix

package adtest

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestUnicodePwd(t *testing.T) {
	tests := []struct {
		name, password, want string
	}{
		{"ascii", "ab", "\"\x00a\x00b\x00\"\x00"},
		{"empty", "", "\"\x00\"\x00"},
		{"non-ascii", "é", "\"\x00\xe9\x00\"\x00"},
		{"astral plane", "𝄞", "\"\x00\x34\xd8\x1e\xdd\"\x00"}, // surrogate pair D834 DD1E
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := unicodePwd(tt.password); got != tt.want {
				t.Errorf("unicodePwd(%q) = %q, want %q", tt.password, got, tt.want)
			}
		})
	}
}

func TestNTTime(t *testing.T) {
	tests := []struct {
		name string
		in   time.Time
		want int64
	}{
		{"unix epoch", time.Unix(0, 0), 116444736000000000},
		{"sub-second", time.Unix(1, 250), 116444736010000002},
		{"nt epoch", time.Date(1601, 1, 1, 0, 0, 0, 0, time.UTC), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ntTime(tt.in); got != tt.want {
				t.Errorf("ntTime(%v) = %d, want %d", tt.in, got, tt.want)
			}
		})
	}
}

func TestInterpreter(t *testing.T) {
	tests := []struct {
		name, script, want string
		wantErr            bool
	}{
		{"plain", "#!/usr/bin/python3\nimport x\n", "/usr/bin/python3", false},
		{"space and flag", "#! /usr/bin/python3 -E\n", "/usr/bin/python3", false},
		{"no shebang", "import x\n", "", true},
		{"empty shebang", "#!\n", "", true},
		{"no newline", "#!/usr/bin/python3", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "samba-tool")
			if err := os.WriteFile(path, []byte(tt.script), 0o755); err != nil {
				t.Fatal(err)
			}
			got, err := interpreter(path)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Errorf("interpreter = %q, %v; want %q, error %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestLockFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.lock")
	unlock, err := lockFile(path, false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lockFile(path, false); !errors.Is(err, errLocked) {
		t.Errorf("second lock: %v, want errLocked", err)
	}
	unlock()
	again, err := lockFile(path, false)
	if err != nil {
		t.Fatalf("lock after unlock: %v", err)
	}
	again()
}

func TestCopyTreeSkipsConfig(t *testing.T) {
	src, dst := t.TempDir(), t.TempDir()
	for path, perm := range map[string]os.FileMode{"etc/smb.conf": 0o644, "private/key": 0o600} {
		full := filepath.Join(src, path)
		if err := os.MkdirAll(filepath.Dir(full), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(path), perm); err != nil {
			t.Fatal(err)
		}
	}
	if err := copyTree(src, dst); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dst, "etc", "smb.conf")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("smb.conf copied (stat: %v)", err)
	}
	fi, err := os.Stat(filepath.Join(dst, "private", "key"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("private/key: %v, mode %v; want 0600", err, fi.Mode().Perm())
	}
}
