package store_test

import (
	"bytes"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"radiusd/secret"
	"radiusd/store"
)

const testKeyHex = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"

func TestLoadOrCreateKeyCreates(t *testing.T) {
	path := filepath.Join(t.TempDir(), "new", "radiusd.key")
	key, err := store.LoadOrCreateKey(path)
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	if key.Len() != store.KeySize {
		t.Fatalf("key length %d, want %d", key.Len(), store.KeySize)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm != 0o600 {
		t.Errorf("key file mode %04o, want 0600", perm)
	}
	di, err := os.Stat(filepath.Dir(path))
	if err != nil {
		t.Fatal(err)
	}
	if perm := di.Mode().Perm(); perm != 0o700 {
		t.Errorf("key directory mode %04o, want 0700", perm)
	}
	text, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !key.Equal(mustHex(t, strings.TrimSpace(string(text)))) {
		t.Error("the file does not hold the returned key as hex")
	}
	again, err := store.LoadOrCreateKey(path)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	if !again.Equal(key.Bytes()) {
		t.Error("second load returned another key")
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("directory holds %d entries, want only the key file (temp file left?)", len(entries))
	}
}

// Starters racing on a missing key file must all end up with one key.
func TestLoadOrCreateKeyConcurrent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "radiusd.key")
	const n = 8
	keys := make([]secret.Value, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { keys[i], errs[i] = store.LoadOrCreateKey(path) })
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("starter %d: %v", i, errs[i])
		}
		if !keys[i].Equal(keys[0].Bytes()) {
			t.Fatalf("starter %d got a different key", i)
		}
	}
}

func TestLoadOrCreateKeyExisting(t *testing.T) {
	tests := []struct {
		name    string
		content string
		mode    os.FileMode
		want    string // hex of the key; empty when an error is expected
		errHas  string
	}{
		{name: "hex with newline", content: testKeyHex + "\n", mode: 0o600, want: testKeyHex},
		{name: "upper case, no newline", content: strings.ToUpper(testKeyHex), mode: 0o400, want: testKeyHex},
		{name: "group readable", content: testKeyHex, mode: 0o640, errHas: "mode 0640"},
		{name: "world readable", content: testKeyHex, mode: 0o604, errHas: "mode 0604"},
		{name: "too short", content: testKeyHex[:62], mode: 0o600, errHas: "64 hex digits"},
		{name: "too long", content: testKeyHex + "00", mode: 0o600, errHas: "64 hex digits"},
		{name: "empty", content: "", mode: 0o600, errHas: "64 hex digits"},
		{name: "not hex", content: "zz" + testKeyHex[2:], mode: 0o600, errHas: "not hex digits"},
		{name: "base64 instead of hex", content: "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", mode: 0o600, errHas: "64 hex digits"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "radiusd.key")
			if err := os.WriteFile(path, []byte(tt.content), tt.mode); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(path, tt.mode); err != nil { // umask-proof
				t.Fatal(err)
			}
			key, err := store.LoadOrCreateKey(path)
			if tt.errHas != "" {
				checkKeyError(t, err, path, tt.errHas, tt.content)
				return
			}
			if err != nil {
				t.Fatalf("load: %v", err)
			}
			if !key.Equal(mustHex(t, tt.want)) {
				t.Error("wrong key")
			}
		})
	}
}

func TestLoadOrCreateKeyUnreadable(t *testing.T) {
	t.Run("directory", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "radiusd.key")
		if err := os.Mkdir(path, 0o700); err != nil {
			t.Fatal(err)
		}
		_, err := store.LoadOrCreateKey(path)
		checkKeyError(t, err, path, "not a regular file", "")
	})
	t.Run("no read permission", func(t *testing.T) {
		if os.Geteuid() == 0 {
			t.Skip("root reads any file")
		}
		path := filepath.Join(t.TempDir(), "radiusd.key")
		if err := os.WriteFile(path, []byte(testKeyHex), 0o200); err != nil {
			t.Fatal(err)
		}
		_, err := store.LoadOrCreateKey(path)
		checkKeyError(t, err, path, "permission denied", testKeyHex)
	})
	t.Run("parent is a file", func(t *testing.T) {
		parent := filepath.Join(t.TempDir(), "file")
		if err := os.WriteFile(parent, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(parent, "radiusd.key")
		_, err := store.LoadOrCreateKey(path)
		checkKeyError(t, err, parent, "", "")
	})
}

func checkKeyError(t *testing.T, err error, path, has, content string) {
	t.Helper()
	if err == nil {
		t.Fatal("no error")
	}
	msg := err.Error()
	if !strings.Contains(msg, path) || !strings.Contains(msg, has) {
		t.Errorf("error %q should name %s and say %q", msg, path, has)
	}
	if len(content) > 8 && strings.Contains(msg, content[:8]) {
		t.Errorf("error %q shows key material", msg)
	}
}

func TestDeriveKey(t *testing.T) {
	master := secret.New(mustHex(t, testKeyHex))
	a := store.DeriveKey(master, "totp-secret")
	b := store.DeriveKey(master, "recovery-code")
	if len(a) != store.KeySize || len(b) != store.KeySize {
		t.Fatalf("derived key lengths %d, %d", len(a), len(b))
	}
	if bytes.Equal(a, b) || bytes.Equal(a, master.Bytes()) {
		t.Error("derived keys must differ per purpose and from the master")
	}
	if !bytes.Equal(a, store.DeriveKey(master, "totp-secret")) {
		t.Error("derivation is not deterministic")
	}
	// Fixed vector: HMAC-SHA256(00..1f, "totp-secret"); changing it would
	// make every stored secret unreadable.
	const want = "ff2e37a672e24ad40f9e38e9cb19ae4d7fa92b233d82d381c1fc8ddbe2c69a92"
	if got := hex.EncodeToString(a); got != want {
		t.Errorf("DeriveKey(00..1f, totp-secret) = %s, want %s", got, want)
	}
}

func TestSealer(t *testing.T) {
	s, err := store.NewSealer(mustHex(t, testKeyHex))
	if err != nil {
		t.Fatal(err)
	}
	other, err := store.NewSealer(store.DeriveKey(secret.New(mustHex(t, testKeyHex)), "other"))
	if err != nil {
		t.Fatal(err)
	}
	plain := []byte("12345678901234567890")
	sealed, err := s.Seal(plain, []byte("alice"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, plain) {
		t.Fatal("sealed value contains the plaintext")
	}
	again, _ := s.Seal(plain, []byte("alice"))
	if bytes.Equal(sealed, again) {
		t.Error("two seals of one value are equal: nonce not random")
	}
	flip := func(i int) []byte {
		c := bytes.Clone(sealed)
		c[i] ^= 1
		return c
	}
	tests := []struct {
		name   string
		sealer *store.Sealer
		in     []byte
		aad    string
		ok     bool
	}{
		{name: "round trip", sealer: s, in: sealed, aad: "alice", ok: true},
		{name: "wrong aad", sealer: s, in: sealed, aad: "bob"},
		{name: "wrong key", sealer: other, in: sealed, aad: "alice"},
		{name: "version byte", sealer: s, in: flip(0), aad: "alice"},
		{name: "nonce bit", sealer: s, in: flip(1), aad: "alice"},
		{name: "ciphertext bit", sealer: s, in: flip(14), aad: "alice"},
		{name: "tag bit", sealer: s, in: flip(len(sealed) - 1), aad: "alice"},
		{name: "truncated", sealer: s, in: sealed[:len(sealed)-1], aad: "alice"},
		{name: "too short", sealer: s, in: sealed[:20], aad: "alice"},
		{name: "empty", sealer: s, in: nil, aad: "alice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.sealer.Open(tt.in, []byte(tt.aad))
			if !tt.ok {
				if err == nil {
					t.Fatal("opened a value it must refuse")
				}
				return
			}
			if err != nil || !bytes.Equal(got, plain) {
				t.Fatalf("Open = %q, %v", got, err)
			}
		})
	}
}

func TestNewSealerKeyLength(t *testing.T) {
	for _, n := range []int{0, 16, 24, 31, 33} {
		if _, err := store.NewSealer(make([]byte, n)); err == nil {
			t.Errorf("NewSealer accepted a %d-byte key", n)
		}
	}
}

func mustHex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestWriteNewKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "radiusd.key")
	key := secret.New(bytes.Repeat([]byte{7}, store.KeySize))
	if err := store.WriteNewKey(path, key); err != nil {
		t.Fatal(err)
	}
	got, err := store.LoadOrCreateKey(path)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Equal(key.Bytes()) {
		t.Error("the key read back differs from the one written")
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %04o, want 0600", fi.Mode().Perm())
	}
	other := secret.New(bytes.Repeat([]byte{8}, store.KeySize))
	if err := store.WriteNewKey(path, other); !errors.Is(err, fs.ErrExist) {
		t.Errorf("over an existing file: %v, want fs.ErrExist", err)
	}
	if got, _ := store.LoadOrCreateKey(path); !got.Equal(key.Bytes()) {
		t.Error("an existing key file was replaced")
	}
	if err := store.WriteNewKey(filepath.Join(t.TempDir(), "k"), secret.New([]byte("short"))); err == nil {
		t.Error("a short key was written")
	}
}

func TestOpenSecret(t *testing.T) {
	s, err := store.NewSealer(bytes.Repeat([]byte{3}, store.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := s.Seal([]byte("totp-key-bytes"), []byte("alice"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.OpenSecret(sealed, "alice")
	if err != nil || !got.Equal([]byte("totp-key-bytes")) {
		t.Fatalf("OpenSecret(alice) = %v", err)
	}
	if _, err := s.OpenSecret(sealed, "mallory"); err == nil || !strings.Contains(err.Error(), `"mallory"`) || strings.Contains(err.Error(), "totp-key-bytes") {
		t.Errorf("another user's name: %v", err)
	}
}
