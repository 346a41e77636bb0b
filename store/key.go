package store

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"radiusd/secret"
)

// KeySize is the size in bytes of the master key and of every derived key.
const KeySize = 32

// maxKeyFile bounds how much of a key file is read: 64 hex digits plus
// surrounding white space, with room to spare.
const maxKeyFile = 1024

// LoadOrCreateKey returns the 32-byte master key stored at path.
//
// The file holds the key as 64 hexadecimal digits (lower or upper case);
// leading and trailing white space, such as a final newline, is ignored.
// Generate one by hand with `openssl rand -hex 32 > radiusd.key`.
//
// When path does not exist, a new random key is written there with mode
// 0600 (the parent directory is created with mode 0700 if it is missing).
// The file is written to a temporary file opened with O_EXCL and published
// with a hard link, so a concurrent starter never sees a partial file and
// never overwrites a key another process has just created; both end up
// with the same key.
//
// An existing file that grants any permission to group or others, that is
// not a regular file, or that does not hold exactly 32 bytes of hex is
// refused with an error naming the path (never the key).
func LoadOrCreateKey(path string) (secret.Value, error) {
	key, err := readKey(path)
	if !errors.Is(err, fs.ErrNotExist) {
		return key, err
	}
	if err := createKey(path); err != nil {
		return secret.Value{}, err
	}
	return readKey(path)
}

// readKey reads and checks an existing key file.
func readKey(path string) (secret.Value, error) {
	f, err := os.Open(path)
	if err != nil {
		return secret.Value{}, fmt.Errorf("store: key file: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return secret.Value{}, fmt.Errorf("store: key file: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return secret.Value{}, fmt.Errorf("store: key file %s is not a regular file", path)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return secret.Value{}, fmt.Errorf("store: key file %s has mode %04o: it must not be accessible to group or others (chmod 600 it)", path, perm)
	}
	text, err := io.ReadAll(io.LimitReader(f, maxKeyFile+1))
	if err != nil {
		return secret.Value{}, fmt.Errorf("store: key file %s: %w", path, err)
	}
	return decodeKey(path, text)
}

// decodeKey parses the hex text of a key file. Its errors never quote the
// text: a decoding error from encoding/hex would show a key character.
func decodeKey(path string, text []byte) (secret.Value, error) {
	text = bytes.TrimSpace(text)
	if len(text) != 2*KeySize {
		return secret.Value{}, fmt.Errorf("store: key file %s must hold %d hex digits (a %d-byte key), found %d characters", path, 2*KeySize, KeySize, len(text))
	}
	key := make([]byte, KeySize)
	if _, err := hex.Decode(key, text); err != nil {
		return secret.Value{}, fmt.Errorf("store: key file %s holds characters that are not hex digits", path)
	}
	v := secret.New(key)
	clear(key)
	return v, nil
}

// createKey writes a new random key to path unless a file appears there
// first, in which case it leaves that file alone.
func createKey(path string) error {
	key := make([]byte, KeySize)
	rand.Read(key) // never fails (crypto/rand since Go 1.24)
	defer clear(key)
	err := publishKey(path, key)
	if errors.Is(err, fs.ErrExist) {
		return nil // another process won the race: use its key
	}
	return err
}

// WriteNewKey writes key to path, which must not exist yet, the way
// LoadOrCreateKey writes a new key (mode 0600, never a partial file). It is
// how radiusd store copy gives a new store the key of the old one. An
// existing file is an error matching fs.ErrExist, and is left alone.
func WriteNewKey(path string, key secret.Value) error {
	if key.Len() != KeySize {
		return fmt.Errorf("store: key must be %d bytes, got %d", KeySize, key.Len())
	}
	return publishKey(path, key.Bytes())
}

// publishKey writes key to a temporary file beside path and links it to
// path; if path exists the error matches fs.ErrExist.
func publishKey(path string, key []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("store: create key directory: %w", err)
	}
	tmp, err := writeTempKey(dir, filepath.Base(path), key)
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	if err := os.Link(tmp, path); err != nil {
		return fmt.Errorf("store: publish key file: %w", err)
	}
	syncDir(dir)
	return nil
}

// writeTempKey writes key, hex encoded, to a new file in dir opened with
// O_EXCL and mode 0600, and returns its name.
func writeTempKey(dir, base string, key []byte) (string, error) {
	text := make([]byte, 2*KeySize+1)
	hex.Encode(text, key)
	text[2*KeySize] = '\n'
	defer clear(text)

	var suffix [8]byte
	rand.Read(suffix[:])
	name := filepath.Join(dir, "."+base+".tmp-"+hex.EncodeToString(suffix[:]))
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", fmt.Errorf("store: create key file: %w", err)
	}
	_, err = f.Write(text)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(name)
		return "", fmt.Errorf("store: write key file: %w", err)
	}
	return name, nil
}

// syncDir makes a new directory entry durable; failure is harmless enough
// to ignore (some file systems cannot sync a directory).
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
}

// DeriveKey returns the 32-byte key for one purpose, HMAC-SHA256(master,
// purpose), so one key file yields independent keys for, say,
// "totp-secret" (sealing TOTP secrets), "recovery-code" (recovery-code
// digests) and "failure-fingerprint" (failed-code fingerprints). Purposes
// are part of the stored data's meaning: never rename one.
func DeriveKey(master secret.Value, purpose string) []byte {
	m := hmac.New(sha256.New, master.Bytes())
	m.Write([]byte(purpose))
	return m.Sum(nil)
}

// sealVersion is the first byte of every sealed value: AES-256-GCM with a
// 12-byte random nonce following it.
const sealVersion = 1

// errOpen is the only error Open returns for bad input, so a caller cannot
// tell a wrong key from a tampered value (neither is interesting).
var errOpen = errors.New("store: cannot decrypt sealed value (wrong key, wrong owner or damaged)")

// Sealer encrypts small values at rest with AES-256-GCM. A sealed value is
// one version byte, a 12-byte random nonce, the ciphertext and a 16-byte
// tag. The additional data (AAD) binds it to its owner, such as a user
// name, so a value copied to another owner fails to open. A Sealer is safe
// for concurrent use.
type Sealer struct {
	aead cipher.AEAD
}

// NewSealer returns a Sealer using key, which must be 32 bytes (use
// DeriveKey). The Sealer keeps its own copy of the key schedule.
func NewSealer(key []byte) (*Sealer, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("store: sealing key must be %d bytes, got %d", KeySize, len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("store: sealer: %w", err)
	}
	aead, err := cipher.NewGCMWithRandomNonce(block)
	if err != nil {
		return nil, fmt.Errorf("store: sealer: %w", err)
	}
	return &Sealer{aead: aead}, nil
}

// Seal encrypts plaintext bound to aad and returns a new slice.
func (s *Sealer) Seal(plaintext, aad []byte) ([]byte, error) {
	out := make([]byte, 1, 1+s.aead.NonceSize()+len(plaintext)+s.aead.Overhead())
	out[0] = sealVersion
	return s.aead.Seal(out, nil, plaintext, aad), nil
}

// Open decrypts a value made by Seal with the same key and aad. Any
// mismatch (key, aad, version, truncation, a flipped bit) gives one error
// that carries nothing of the value.
func (s *Sealer) Open(ciphertext, aad []byte) ([]byte, error) {
	if len(ciphertext) < 1+s.aead.NonceSize()+s.aead.Overhead() || ciphertext[0] != sealVersion {
		return nil, errOpen
	}
	plain, err := s.aead.Open(nil, nil, ciphertext[1:], aad)
	if err != nil {
		return nil, errOpen
	}
	return plain, nil
}

// OpenSecret opens a user's sealed TOTP secret (additional data: the user
// name) into a secret.Value, clearing the plaintext it decrypted into.
func (s *Sealer) OpenSecret(sealed []byte, user string) (secret.Value, error) {
	key, err := s.Open(sealed, []byte(user))
	if err != nil {
		return secret.Value{}, fmt.Errorf("totp secret of %q: %w", user, err)
	}
	defer clear(key)
	return secret.New(key), nil
}
