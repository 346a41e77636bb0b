package userfile

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
)

// DefaultCost is the bcrypt cost HashPassword uses when given 0.
const DefaultCost = 10

// Limits on the hash parameters a users file may ask for, so that a
// hostile or mistaken file cannot make every login eat the machine.
const (
	// MaxBcryptCost is the highest bcrypt cost accepted (about 2^16
	// rounds: several seconds per check on a small machine).
	MaxBcryptCost = 16
	// MaxBcryptPassword is the longest password bcrypt looks at; longer
	// ones are refused rather than silently truncated.
	MaxBcryptPassword = 72

	maxArgon2Memory  = 1 << 20 // KiB, that is 1 GiB
	maxArgon2Time    = 10
	maxArgon2Threads = 16
	minArgon2Salt    = 8
	maxArgon2Salt    = 64
	minArgon2Key     = 16
	maxArgon2Key     = 128
)

// ErrPasswordTooLong is returned by HashPassword for a password that bcrypt
// would silently truncate.
var ErrPasswordTooLong = errors.New("userfile: password is longer than 72 bytes, which bcrypt would truncate")

var errNotAHash = errors.New("not a bcrypt ($2a$, $2b$, $2y$) or argon2id ($argon2id$v=19$…) hash")

// bcryptEncoding is bcrypt's own base64 alphabet, without padding.
var bcryptEncoding = base64.NewEncoding("./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789").
	WithPadding(base64.NoPadding)

// verifier checks a password against one stored hash. Implementations are
// immutable and safe for concurrent use.
type verifier interface {
	verify(password []byte) bool
	// cost names the algorithm and its work parameters; two verifiers
	// with the same cost take the same time.
	cost() string
	// dummy returns a verifier of the same cost that no password matches
	// in practice, for the unknown-user path.
	dummy() verifier
}

// parseHash parses a password_hash value. Its errors never contain the hash.
func parseHash(s string) (verifier, error) {
	switch {
	case strings.HasPrefix(s, "$argon2id$"):
		return parseArgon2id(s)
	case strings.HasPrefix(s, "$2a$"), strings.HasPrefix(s, "$2b$"), strings.HasPrefix(s, "$2y$"):
		return parseBcrypt(s)
	}
	return nil, errNotAHash
}

// bcryptHash is a "$2?$cc$" + 22 salt + 31 hash characters string.
type bcryptHash struct {
	hash []byte
	n    int // cost
}

func parseBcrypt(s string) (verifier, error) {
	const prefix = len("$2b$10$")
	if len(s) != prefix+53 || s[6] != '$' {
		return nil, errNotAHash
	}
	if !isBcryptBase64(s[prefix:prefix+22]) || !isBcryptBase64(s[prefix+22:]) {
		return nil, errNotAHash
	}
	n, err := bcrypt.Cost([]byte(s))
	if err != nil {
		return nil, errNotAHash
	}
	if n > MaxBcryptCost {
		return nil, fmt.Errorf("bcrypt cost %d is above the limit of %d", n, MaxBcryptCost)
	}
	return bcryptHash{hash: []byte(s), n: n}, nil
}

// isBcryptBase64 reports whether s decodes in bcrypt's alphabet.
func isBcryptBase64(s string) bool {
	_, err := bcryptEncoding.DecodeString(s)
	return err == nil
}

func (h bcryptHash) verify(password []byte) bool {
	if len(password) > MaxBcryptPassword {
		return false
	}
	return bcrypt.CompareHashAndPassword(h.hash, password) == nil
}

func (h bcryptHash) cost() string { return "bcrypt:" + strconv.Itoa(h.n) }

// dummy builds a well-formed hash from random salt and digest: comparing
// against it costs a full bcrypt at the same cost and never matches.
func (h bcryptHash) dummy() verifier {
	raw := make([]byte, 16+23) // salt, digest
	_, _ = rand.Read(raw)
	s := fmt.Sprintf("$2a$%02d$%s%s", h.n, bcryptEncoding.EncodeToString(raw[:16]), bcryptEncoding.EncodeToString(raw[16:]))
	return bcryptHash{hash: []byte(s), n: h.n}
}

// argon2idHash is a parsed PHC string
// $argon2id$v=19$m=<KiB>,t=<passes>,p=<lanes>$<salt>$<key> (unpadded base64).
type argon2idHash struct {
	memory, time uint32
	threads      uint8
	salt, key    []byte
}

func parseArgon2id(s string) (verifier, error) {
	f := strings.Split(s, "$") // "", "argon2id", "v=19", "m=…,t=…,p=…", salt, key
	if len(f) != 6 || f[2] != "v=19" {
		return nil, errNotAHash
	}
	var h argon2idHash
	var m, t, p uint64
	if n, err := fmt.Sscanf(f[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil || n != 3 ||
		f[3] != fmt.Sprintf("m=%d,t=%d,p=%d", m, t, p) {
		return nil, errNotAHash
	}
	if err := checkArgon2Params(m, t, p); err != nil {
		return nil, err
	}
	h.memory, h.time, h.threads = uint32(m), uint32(t), uint8(p)
	var err1, err2 error
	h.salt, err1 = decodeB64(f[4])
	h.key, err2 = decodeB64(f[5])
	if err1 != nil || err2 != nil {
		return nil, errNotAHash
	}
	if len(h.salt) < minArgon2Salt || len(h.salt) > maxArgon2Salt {
		return nil, fmt.Errorf("argon2id salt of %d bytes is outside %d–%d", len(h.salt), minArgon2Salt, maxArgon2Salt)
	}
	if len(h.key) < minArgon2Key || len(h.key) > maxArgon2Key {
		return nil, fmt.Errorf("argon2id hash of %d bytes is outside %d–%d", len(h.key), minArgon2Key, maxArgon2Key)
	}
	return h, nil
}

func checkArgon2Params(m, t, p uint64) error {
	switch {
	case p < 1 || p > maxArgon2Threads:
		return fmt.Errorf("argon2id p=%d is outside 1–%d", p, maxArgon2Threads)
	case t < 1 || t > maxArgon2Time:
		return fmt.Errorf("argon2id t=%d is outside 1–%d", t, maxArgon2Time)
	case m < 8*p || m > maxArgon2Memory:
		return fmt.Errorf("argon2id m=%d is outside %d–%d KiB", m, 8*p, maxArgon2Memory)
	}
	return nil
}

// decodeB64 decodes PHC base64: standard alphabet, padding optional.
func decodeB64(s string) ([]byte, error) {
	return base64.RawStdEncoding.Strict().DecodeString(strings.TrimRight(s, "="))
}

func (h argon2idHash) verify(password []byte) bool {
	got := argon2.IDKey(password, h.salt, h.time, h.memory, h.threads, uint32(len(h.key)))
	return subtle.ConstantTimeCompare(got, h.key) == 1
}

func (h argon2idHash) cost() string {
	return fmt.Sprintf("argon2id:m=%d,t=%d,p=%d,k=%d", h.memory, h.time, h.threads, len(h.key))
}

func (h argon2idHash) dummy() verifier {
	d := h
	d.salt = make([]byte, len(h.salt))
	d.key = make([]byte, len(h.key))
	_, _ = rand.Read(d.salt)
	_, _ = rand.Read(d.key)
	return d
}

// HashPassword returns a bcrypt hash of password for users.yaml, at cost
// (DefaultCost when 0; otherwise bcrypt.MinCost to MaxBcryptCost). It
// refuses an empty password and, with ErrPasswordTooLong, one longer than
// 72 bytes, which bcrypt would silently truncate. Errors never contain the
// password.
func HashPassword(password []byte, cost int) (string, error) {
	switch {
	case len(password) == 0:
		return "", errors.New("userfile: hash password: password is empty")
	case len(password) > MaxBcryptPassword:
		return "", ErrPasswordTooLong
	}
	cost, err := hashCost(cost)
	if err != nil {
		return "", err
	}
	h, err := bcrypt.GenerateFromPassword(password, cost)
	if err != nil {
		return "", fmt.Errorf("userfile: hash password: %w", err)
	}
	return string(h), nil
}

// hashCost maps HashPassword's cost argument to a bcrypt cost.
func hashCost(cost int) (int, error) {
	if cost == 0 {
		return DefaultCost, nil
	}
	if cost < bcrypt.MinCost || cost > MaxBcryptCost {
		return 0, fmt.Errorf("userfile: hash password: cost %d is outside %d–%d", cost, bcrypt.MinCost, MaxBcryptCost)
	}
	return cost, nil
}
