package codes_test

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"radiusd/codes"
)

func TestDigest(t *testing.T) {
	key := []byte("0123456789abcdef0123456789abcdef")
	h := codes.NewHasher(key)
	base := h.Digest("alice", "abcdefghjk")
	if len(base) != 32 {
		t.Fatalf("digest length %d, want 32", len(base))
	}
	tests := []struct {
		name     string
		h        *codes.Hasher
		user     string
		code     string
		wantSame bool
	}{
		{"same input", h, "alice", "abcdefghjk", true},
		{"same key, new hasher", codes.NewHasher(key), "alice", "abcdefghjk", true},
		{"other user", h, "bob", "abcdefghjk", false},
		{"user case matters", h, "Alice", "abcdefghjk", false},
		{"other code", h, "alice", "abcdefghjm", false},
		{"bytes shifted from user to code", h, "alic", "eabcdefghjk", false},
		{"bytes shifted from code to user", h, "alicea", "bcdefghjk", false},
		{"other key", codes.NewHasher([]byte("another key, also 32 bytes long!")), "alice", "abcdefghjk", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.h.Digest(tt.user, tt.code); bytes.Equal(got, base) != tt.wantSame {
				t.Fatalf("digest equal = %v, want %v", !tt.wantSame, tt.wantSame)
			}
		})
	}
}

func TestHasherKeyIsCopied(t *testing.T) {
	key := []byte("0123456789abcdef0123456789abcdef")
	h := codes.NewHasher(key)
	before := h.Digest("alice", "abcdefghjk")
	key[0] ^= 0xff
	if !bytes.Equal(before, h.Digest("alice", "abcdefghjk")) {
		t.Fatal("Hasher shares the caller's key slice")
	}
}

func TestHasherDoesNotPrintKey(t *testing.T) {
	const key = "KEY-MATERIAL-0123456789abcdefghij"
	h := codes.NewHasher([]byte(key))
	var logged bytes.Buffer
	slog.New(slog.NewTextHandler(&logged, nil)).Info("x", "hasher", h)
	for _, out := range []string{fmt.Sprint(h), fmt.Sprintf("%+v %#v %v", h, h, *h), logged.String()} {
		if strings.Contains(out, key) || strings.Contains(out, fmt.Sprint([]byte(key))) {
			t.Fatalf("key printed: %s", out)
		}
	}
}
