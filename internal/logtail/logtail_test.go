package logtail

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSince(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log")
	if err := os.WriteFile(path, []byte("old\na\nb\nc\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		offset int64
		n      int
		want   string
	}{{4, 2, "b\nc"}, {4, 30, "a\nb\nc"}, {0, 1, "c"}, {999, 5, "old\na\nb\nc"}} {
		if got := Since(path, tt.offset, tt.n); got != tt.want {
			t.Errorf("Since(%d, %d) = %q, want %q", tt.offset, tt.n, got, tt.want)
		}
	}
	if got := Since(filepath.Join(t.TempDir(), "missing"), 0, 3); !strings.HasPrefix(got, "(no log: ") {
		t.Errorf("missing file: %q", got)
	}
}
