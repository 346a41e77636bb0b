package config

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// leakMarker starts every inline secret in testdata; no error or output may
// contain it.
const leakMarker = "SUPERSECRET"

// golden compares got with the file name, or rewrites it under -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(name, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(name)
	if err != nil {
		t.Fatalf("%v (run go test ./config -update)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs (run go test ./config -update to accept):\n--- got\n%s--- want\n%s", name, got, want)
	}
}

// parseTestdata parses a file under testdata with testdata as the base
// directory, so that secret_file paths and messages are stable.
func parseTestdata(t *testing.T, name string) (*Config, error) {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return Parse(data, "testdata")
}

// TestInvalidGolden checks every decoding and validation message: each
// testdata/invalid/X.yaml must fail with the lines of X.golden.
func TestInvalidGolden(t *testing.T) {
	files, _ := filepath.Glob("testdata/invalid/*.yaml")
	if len(files) == 0 {
		t.Fatal("no testdata/invalid/*.yaml")
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			cfg, err := parseTestdata(t, file)
			if err == nil {
				t.Fatalf("Parse succeeded: %+v", cfg)
			}
			if strings.Contains(err.Error(), leakMarker) {
				t.Errorf("error contains a secret:\n%v", err)
			}
			golden(t, strings.TrimSuffix(file, ".yaml")+".golden", err.Error()+"\n")
		})
	}
}

// TestManyProblemsAtOnce checks that one broken file reports every problem,
// not just the first.
func TestManyProblemsAtOnce(t *testing.T) {
	_, err := parseTestdata(t, "testdata/invalid/many.yaml")
	if err == nil {
		t.Fatal("Parse succeeded")
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) < 50 {
		t.Errorf("got %d problems, want at least 50:\n%v", len(lines), err)
	}
	for _, prefix := range []string{"listen[1]:", "clients[0].mode:", "clients[3].networks[1]:", "store.driver:", "log.format:"} {
		if !strings.Contains(err.Error(), "\n"+prefix) && !strings.HasPrefix(err.Error(), prefix) {
			t.Errorf("no line starts with %q", prefix)
		}
	}
}

// TestWarningsGolden checks the warnings of valid files against
// testdata/warnings/X.golden.
func TestWarningsGolden(t *testing.T) {
	files, _ := filepath.Glob("testdata/warnings/*.yaml")
	if len(files) == 0 {
		t.Fatal("no testdata/warnings/*.yaml")
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			cfg, err := parseTestdata(t, file)
			if err != nil {
				t.Fatal(err)
			}
			var b strings.Builder
			for _, w := range cfg.Warnings() {
				b.WriteString(w + "\n")
			}
			if strings.Contains(b.String(), leakMarker) {
				t.Errorf("warnings contain a secret:\n%s", b.String())
			}
			golden(t, strings.TrimSuffix(file, ".yaml")+".golden", b.String())
		})
	}
}
