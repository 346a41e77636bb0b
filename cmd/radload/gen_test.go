package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"
	"gopkg.in/yaml.v3"
)

// usersFile mirrors PRODUCT.md §5's users.yaml, decoded strictly.
type usersFile struct {
	Users []struct {
		Name         string   `yaml:"name"`
		PasswordHash string   `yaml:"password_hash"`
		Groups       []string `yaml:"groups"`
	} `yaml:"users"`
}

func TestGenUsers(t *testing.T) {
	tests := []struct {
		name     string
		extra    []string
		password string
		groups   []string
	}{
		{"without password", nil, "", []string{"radload"}},
		{"with password", []string{"--password", "Pa55word!", "--groups", "vpn,load"}, "Pa55word!", []string{"vpn", "load"}},
		{"no groups", []string{"--groups", ""}, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			csvPath, yamlPath := filepath.Join(dir, "users.csv"), filepath.Join(dir, "users.yaml")
			args := append([]string{"gen-users", "--count", "5", "--prefix", "lt", "--seed", "s1",
				"--csv", csvPath, "--users-yaml", yamlPath}, tt.extra...)
			var out, errOut bytes.Buffer
			if code := run(t.Context(), args, &out, &errOut); code != 0 {
				t.Fatalf("exit %d: %s", code, errOut.String())
			}
			checkCSV(t, csvPath, 5)
			checkYAML(t, yamlPath, 5, tt.password, tt.groups)
		})
	}
}

// checkCSV checks n lines of user,secret,6,30,SHA1 in the 0600 file at path.
func checkCSV(t *testing.T, path string, n int) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("csv mode %v, want 0600", fi.Mode().Perm())
	}
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	if len(lines) != n {
		t.Fatalf("%d lines, want %d", len(lines), n)
	}
	for i, line := range lines {
		name := userName("lt", i)
		if want := name + "," + deriveSecret("s1", name) + ",6,30,SHA1"; line != want {
			t.Errorf("line %d = %q, want %q", i, line, want)
		}
	}
}

// checkYAML decodes the users file strictly and checks every entry.
func checkYAML(t *testing.T, path string, n int, password string, groups []string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var uf usersFile
	dec := yaml.NewDecoder(f)
	dec.KnownFields(true)
	if err := dec.Decode(&uf); err != nil {
		t.Fatal(err)
	}
	if len(uf.Users) != n {
		t.Fatalf("%d users, want %d", len(uf.Users), n)
	}
	for i, u := range uf.Users {
		if u.Name != userName("lt", i) || strings.Join(u.Groups, ",") != strings.Join(groups, ",") {
			t.Errorf("user %d = %+v", i, u)
		}
		if password == "" && u.PasswordHash != "" {
			t.Errorf("user %d has a hash without --password", i)
		}
		if password != "" && (u.PasswordHash != uf.Users[0].PasswordHash ||
			bcrypt.CompareHashAndPassword([]byte(u.PasswordHash), []byte(password)) != nil) {
			t.Errorf("user %d: hash does not match the shared password", i)
		}
	}
}

func TestGenUsersStdout(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run(t.Context(), []string{"gen-users", "--count", "2", "--csv", "-"}, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	want := "u000000," + deriveSecret("radload", "u000000") + ",6,30,SHA1\nu000001," +
		deriveSecret("radload", "u000001") + ",6,30,SHA1\n"
	if out.String() != want {
		t.Fatalf("stdout %q, want %q", out.String(), want)
	}
}
