package auth

import (
	"strings"
	"testing"
	"time"
)

func TestSetPolicy(t *testing.T) {
	e := newEnv(t, nil) // enforce: all
	if d := e.do(t, ModePasswordOTP, "bob", pw); d.Reason != "not_enrolled" {
		t.Fatalf("enforce all: %s, want not_enrolled", d.Reason)
	}
	if err := e.a.SetPolicy(Policy{Enforce: EnforceGroups, Groups: []string{"VPN-Users"}, EnrollURL: "https://new.example/enroll"}); err != nil {
		t.Fatal(err)
	}
	if d := e.do(t, ModePasswordOTP, "bob", pw); d.Result != Accept || d.Reason != "password_only" {
		t.Errorf("bob outside the new groups: %v/%s, want accept/password_only", d.Result, d.Reason)
	}
	d := e.do(t, ModePasswordOTP, "alice", pw)
	if d.Reason != "not_enrolled" || !strings.Contains(d.ReplyMessage, "https://new.example/enroll") {
		t.Errorf("alice in the new group: %s %q, want not_enrolled with the new URL", d.Reason, d.ReplyMessage)
	}
	for _, bad := range []Policy{{Enforce: "everyone"}, {Enforce: EnforceAll, GracePeriod: -time.Second}} {
		if err := e.a.SetPolicy(bad); err == nil {
			t.Errorf("SetPolicy(%+v) accepted", bad)
		}
	}
	if d := e.do(t, ModePasswordOTP, "bob", pw); d.Reason != "password_only" {
		t.Errorf("after refused policies: %s, want the previous policy kept", d.Reason)
	}
}
