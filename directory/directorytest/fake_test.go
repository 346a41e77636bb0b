package directorytest_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"

	"radiusd/directory"
	"radiusd/directory/directorytest"
)

func newFake() *directorytest.Fake {
	return &directorytest.Fake{Users: map[string]directorytest.FakeUser{
		"alice": {Password: "pw-alice", Groups: []string{"vpn-users"}, Email: "alice@example.org", Mobile: "+15550100"},
		"bob":   {Password: "pw-bob", Disabled: true},
		"otp":   {Mobile: "+15550101"}, // exists for Lookup only
	}}
}

func TestFakeAuthenticate(t *testing.T) {
	tests := []struct {
		name, user, password string
		want                 directory.User
		wantErr              error
	}{
		{name: "right password", user: "alice", password: "pw-alice", want: directory.User{Name: "alice", Groups: []string{"vpn-users"}, Email: "alice@example.org", Mobile: "+15550100"}},
		{name: "wrong password", user: "alice", password: "nope", wantErr: directory.ErrInvalidCredentials},
		{name: "empty password", user: "alice", password: "", wantErr: directory.ErrInvalidCredentials},
		{name: "names are exact", user: "Alice", password: "pw-alice", wantErr: directory.ErrInvalidCredentials},
		{name: "unknown user", user: "mallory", password: "pw-alice", wantErr: directory.ErrInvalidCredentials},
		{name: "disabled right password", user: "bob", password: "pw-bob", wantErr: directory.ErrDisabled},
		{name: "disabled wrong password", user: "bob", password: "nope", wantErr: directory.ErrInvalidCredentials},
		{name: "no password set", user: "otp", password: "x", wantErr: directory.ErrInvalidCredentials},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake()
			got, err := f.Authenticate(t.Context(), tt.user, tt.password)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if got.Name != tt.want.Name || !slices.Equal(got.Groups, tt.want.Groups) ||
				got.Email != tt.want.Email || got.Mobile != tt.want.Mobile {
				t.Errorf("user = %+v, want %+v", got, tt.want)
			}
			if n := f.AuthenticateCalls(); n != 1 {
				t.Errorf("AuthenticateCalls = %d, want 1", n)
			}
		})
	}
}

func TestFakeLookup(t *testing.T) {
	tests := []struct {
		name, user string
		wantMobile string
		wantErr    error
	}{
		{name: "exists", user: "alice", wantMobile: "+15550100"},
		{name: "exists without password", user: "otp", wantMobile: "+15550101"},
		{name: "disabled", user: "bob", wantErr: directory.ErrDisabled},
		{name: "unknown", user: "mallory", wantErr: directory.ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake()
			got, err := f.Lookup(t.Context(), tt.user)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if err == nil && (got.Name != tt.user || got.Mobile != tt.wantMobile) {
				t.Errorf("user = %+v, want name %q, mobile %q", got, tt.user, tt.wantMobile)
			}
			if n := f.LookupCalls(); n != 1 {
				t.Errorf("LookupCalls = %d, want 1", n)
			}
		})
	}
}

func TestFakeErrAndContext(t *testing.T) {
	outage := errors.New("backend down")
	f := newFake()
	f.Err = outage
	if _, err := f.Authenticate(t.Context(), "alice", "pw-alice"); !errors.Is(err, outage) {
		t.Errorf("Authenticate err = %v, want outage", err)
	}
	if _, err := f.Lookup(t.Context(), "alice"); !errors.Is(err, outage) {
		t.Errorf("Lookup err = %v, want outage", err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	g := newFake()
	if _, err := g.Authenticate(ctx, "alice", "pw-alice"); !errors.Is(err, context.Canceled) {
		t.Errorf("Authenticate on cancelled ctx err = %v", err)
	}
	if _, err := g.Lookup(ctx, "alice"); !errors.Is(err, context.Canceled) {
		t.Errorf("Lookup on cancelled ctx err = %v", err)
	}
}

func TestFakeGroupsAreCopies(t *testing.T) {
	f := newFake()
	u, err := f.Lookup(t.Context(), "alice")
	if err != nil {
		t.Fatal(err)
	}
	u.Groups[0] = "admins"
	if g := f.Users["alice"].Groups[0]; g != "vpn-users" {
		t.Errorf("caller changed the fake's groups to %q", g)
	}
}

func TestFakeCountsConcurrently(t *testing.T) {
	f := newFake()
	const n = 50
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			_, _ = f.Authenticate(t.Context(), "alice", "pw-alice")
			_, _ = f.Lookup(t.Context(), "alice")
		})
	}
	wg.Wait()
	if a, l := f.AuthenticateCalls(), f.LookupCalls(); a != n || l != n {
		t.Errorf("calls = %d, %d, want %d, %d", a, l, n, n)
	}
	f.ResetCalls()
	if a, l := f.AuthenticateCalls(), f.LookupCalls(); a != 0 || l != 0 {
		t.Errorf("after ResetCalls = %d, %d", a, l)
	}
}
