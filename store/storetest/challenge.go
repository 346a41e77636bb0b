package storetest

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"

	"radiusd/store"
)

// challenge returns a challenge with a 32-byte ID for seed, expiring at
// second expires.
func challenge(seed byte, user string, expires int) store.Challenge {
	id := bytes.Repeat([]byte{seed}, 32)
	return store.Challenge{ID: id, User: user, Client: "vpn-1", Expires: at(expires)}
}

func testChallenge(t *testing.T, s store.Store) {
	ctx := t.Context()
	c := challenge(1, "alice", 60)
	checkErr(t, "PutChallenge", s.PutChallenge(ctx, c), nil)
	checkErr(t, "PutChallenge other", s.PutChallenge(ctx, challenge(2, "bob", 60)), nil)
	_, err := s.TakeChallenge(ctx, challenge(3, "", 0).ID, at(1))
	checkErr(t, "TakeChallenge unknown", err, store.ErrNotFound)
	_, err = s.TakeChallenge(ctx, c.ID[:16], at(1))
	checkErr(t, "TakeChallenge by prefix", err, store.ErrNotFound)

	got, err := s.TakeChallenge(ctx, c.ID, at(1))
	checkErr(t, "TakeChallenge", err, nil)
	if !bytes.Equal(got.ID, c.ID) || got.User != c.User || got.Client != c.Client {
		t.Errorf("TakeChallenge = %x %q %q, want %x %q %q", got.ID, got.User, got.Client, c.ID, c.User, c.Client)
	}
	sameTime(t, "Expires", got.Expires, c.Expires)
	_, err = s.TakeChallenge(ctx, c.ID, at(2))
	checkErr(t, "TakeChallenge twice", err, store.ErrNotFound)

	got, err = s.TakeChallenge(ctx, challenge(2, "", 0).ID, at(2))
	checkErr(t, "TakeChallenge other", err, nil)
	if got.User != "bob" {
		t.Errorf("other challenge user %q, want bob", got.User)
	}
	// Users need not exist in the store, and names are opaque text.
	odd := challenge(4, "Ünïcode (*)\\ user", 60)
	checkErr(t, "PutChallenge odd name", s.PutChallenge(ctx, odd), nil)
	got, err = s.TakeChallenge(ctx, odd.ID, at(3))
	checkErr(t, "TakeChallenge odd name", err, nil)
	if got.User != odd.User {
		t.Errorf("user %q, want %q", got.User, odd.User)
	}
}

func testChallengeExpiry(t *testing.T, s store.Store) {
	ctx := t.Context()
	tests := []struct {
		name    string
		expires int
		now     int
		wantErr error
	}{
		{name: "well before", expires: 60, now: 0},
		{name: "at expiry", expires: 60, now: 60},
		{name: "a second late", expires: 60, now: 61, wantErr: store.ErrNotFound},
		{name: "long gone", expires: 60, now: 86400, wantErr: store.ErrNotFound},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := challenge(byte(10+i), "alice", tt.expires)
			checkErr(t, "PutChallenge", s.PutChallenge(ctx, c), nil)
			_, err := s.TakeChallenge(ctx, c.ID, at(tt.now))
			checkErr(t, "TakeChallenge", err, tt.wantErr)
			// An expired challenge is gone, whatever the clock says next.
			_, err = s.TakeChallenge(ctx, c.ID, at(0))
			checkErr(t, "TakeChallenge again", err, store.ErrNotFound)
		})
	}
	// Many expired challenges (purged as the driver sees fit) never take a
	// live one with them.
	const later = 100_000 // after every time used above: the clock moves on
	for i := range 200 {
		c := challenge(0, "old", later+5)
		c.ID = []byte(fmt.Sprintf("expired-%03d-%s", i, strings.Repeat("x", 20)))
		checkErr(t, "PutChallenge expired", s.PutChallenge(ctx, c), nil)
	}
	_, err := s.TakeChallenge(ctx, []byte("expired-000-"+strings.Repeat("x", 20)), at(later+1000))
	checkErr(t, "TakeChallenge expired", err, store.ErrNotFound)
	live := challenge(99, "alice", later+2000)
	checkErr(t, "PutChallenge live", s.PutChallenge(ctx, live), nil)
	for i := range 3 {
		c := challenge(byte(100+i), "new", later+1500)
		checkErr(t, "PutChallenge after expiry", s.PutChallenge(ctx, c), nil)
	}
	_, err = s.TakeChallenge(ctx, live.ID, at(later+1999))
	checkErr(t, "TakeChallenge live", err, nil)
}

func testChallengeConcurrent(t *testing.T, s store.Store) {
	for _, n := range []int{2, 16} {
		c := challenge(byte(n), "alice", 60)
		checkErr(t, "PutChallenge", s.PutChallenge(t.Context(), c), nil)
		errs := race(n, func(int) error {
			_, err := s.TakeChallenge(t.Context(), c.ID, at(1))
			return err
		})
		exactlyOne(t, errs, store.ErrNotFound)
	}
}

func testList(t *testing.T, s store.Store) {
	ctx := t.Context()
	users, err := s.List(ctx)
	checkErr(t, "List empty", err, nil)
	if len(users) != 0 {
		t.Fatalf("List of an empty store has %d users", len(users))
	}
	names := []string{"mallory", "alice", "Zoë", "bob", "zed", "Alice", "eve@example.org", "EXAMPLE\\carol"}
	for i, name := range names {
		switch i % 3 {
		case 0:
			mustActive(t, s, name, byte(i), digests(byte(i), i))
		case 1:
			checkErr(t, "Enroll", s.Enroll(ctx, name, totp(byte(i)), at(i), false), nil)
		default:
			checkErr(t, "SetPolicy", s.SetPolicy(ctx, name, store.PolicyExempt, at(i)), nil)
		}
	}
	users, err = s.List(ctx)
	checkErr(t, "List", err, nil)
	want := slices.Clone(names)
	slices.Sort(want) // byte order: upper case first, then lower, then non-ASCII
	var got []string
	for _, u := range users {
		got = append(got, u.Name)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("List names %q, want %q", got, want)
	}
	for _, u := range users {
		one := mustGet(t, s, u.Name)
		if u.State != one.State || u.Policy != one.Policy || u.Method != one.Method || u.RecoveryLeft != one.RecoveryLeft ||
			u.LastStep != one.LastStep || !u.CreatedAt.Equal(one.CreatedAt) || !u.TOTP.Secret.Equal(one.TOTP.Secret.Bytes()) {
			t.Errorf("List entry for %q differs from Get", u.Name)
		}
	}
}

// Names are compared exactly: normalisation is the caller's job, so the
// store must not fold case or trim.
func testNames(t *testing.T, s store.Store) {
	mustActive(t, s, "alice", 1, nil)
	for _, name := range []string{"Alice", "ALICE", "alice ", " alice", "alice\x00", "alicé"} {
		if _, err := s.Get(t.Context(), name); err == nil {
			t.Errorf("Get(%q) found alice", name)
		}
		checkErr(t, fmt.Sprintf("AcceptStep(%q)", name), s.AcceptStep(t.Context(), name, 500, 0, at(2)), store.ErrNotFound)
	}
	if u := mustGet(t, s, "alice"); u.LastStep != 100 {
		t.Errorf("LastStep %d, want 100", u.LastStep)
	}
}

// The code digest of an e-mail or SMS challenge comes back with it; a
// TOTP challenge has none, whether its Code is nil or empty.
func testChallengeCode(t *testing.T, s store.Store) {
	ctx := t.Context()
	tests := []struct {
		name string
		code []byte
		want []byte
	}{
		{name: "digest", code: bytes.Repeat([]byte{0xc0}, 32), want: bytes.Repeat([]byte{0xc0}, 32)},
		{name: "short digest", code: []byte{0, 1, 2}, want: []byte{0, 1, 2}},
		{name: "nil", code: nil, want: nil},
		{name: "empty", code: []byte{}, want: nil},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := challenge(byte(20+i), "alice", 60)
			c.Code = tt.code
			checkErr(t, "PutChallenge", s.PutChallenge(ctx, c), nil)
			got, err := s.TakeChallenge(ctx, c.ID, at(1))
			checkErr(t, "TakeChallenge", err, nil)
			if !bytes.Equal(got.Code, tt.want) || (got.Code == nil) != (tt.want == nil) {
				t.Errorf("Code = %x (nil %t), want %x (nil %t)", got.Code, got.Code == nil, tt.want, tt.want == nil)
			}
			if got.User != c.User || got.Client != c.Client || !bytes.Equal(got.ID, c.ID) {
				t.Errorf("TakeChallenge = %x %q %q, want %x %q %q", got.ID, got.User, got.Client, c.ID, c.User, c.Client)
			}
			_, err = s.TakeChallenge(ctx, c.ID, at(2))
			checkErr(t, "TakeChallenge twice", err, store.ErrNotFound)
		})
	}
}
