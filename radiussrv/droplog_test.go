package radiussrv

import (
	"strings"
	"testing"
	"time"
)

func TestDropLogRateLimited(t *testing.T) {
	s, logs, clock := newTestServer(t, Options{}, &fakeAuth{})
	req := buildRequest(t, testSecret, validOpts()...)
	for range 5 {
		s.HandlePacket(t.Context(), req, otherRemote)
	}
	s.HandlePacket(t.Context(), req[:19], testRemote) // another reason has its own limit
	if got := strings.Count(logs.String(), `"reason":"unknown_client"`); got != 1 {
		t.Fatalf("%d unknown_client lines in one second, want 1:\n%s", got, logs)
	}
	if !strings.Contains(logs.String(), `"reason":"malformed"`) {
		t.Fatalf("malformed drop not logged:\n%s", logs)
	}
	clock.Advance(time.Second)
	s.HandlePacket(t.Context(), req, otherRemote)
	if !strings.Contains(logs.String(), `"reason":"unknown_client","client":"","remote":"203.0.113.5:1645","count":5`) {
		t.Errorf("second line does not carry count 5:\n%s", logs)
	}
	if got := s.Stats().Drops[DropUnknownClient]; got != 6 {
		t.Errorf("Drops[unknown_client] = %d, want 6", got)
	}
}
