package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestMixPatternRatio(t *testing.T) {
	got := map[mixKind]int{}
	m := mixState{ok: true, at: midStep}
	for range 3 * len(mixPattern) {
		got[m.nextKind(midStep)]++
	}
	wantCounts := map[mixKind]int{mixFresh: 30, mixWrong: 9, mixReplay: 6, mixResend: 6, mixStatus: 9}
	for k, n := range wantCounts {
		if got[k] != n {
			t.Errorf("%s: %d in 60, want %d", mixKindNames[k], got[k], n)
		}
	}
	for i, k := range mixPattern {
		if (k == mixReplay || k == mixResend) && mixPattern[(i+len(mixPattern)-1)%len(mixPattern)] != mixFresh {
			t.Errorf("slot %d (%s) does not follow a fresh code", i, mixKindNames[k])
		}
	}
}

func TestMixNextKindFallback(t *testing.T) {
	tests := []struct {
		name  string
		state mixState
		now   time.Time
		want  mixKind
	}{
		{"retransmit with a recent accept", mixState{slot: 1, ok: true, at: midStep}, midStep.Add(time.Second), mixResend},
		{"retransmit with nothing accepted", mixState{slot: 1}, midStep, mixFresh},
		{"retransmit of a stale accept", mixState{slot: 1, ok: true, at: midStep}, midStep.Add(maxResendAge + time.Millisecond), mixFresh},
		{"replay with a recent accept", mixState{slot: 6, ok: true, at: midStep}, midStep, mixReplay},
		{"replay with nothing accepted", mixState{slot: 6}, midStep, mixFresh},
		{"status needs nothing", mixState{slot: 2}, midStep, mixStatus},
		{"wrong needs nothing", mixState{slot: 4}, midStep, mixWrong},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := tt.state
			if got := m.nextKind(tt.now); got != tt.want {
				t.Errorf("nextKind = %s, want %s", mixKindNames[got], mixKindNames[tt.want])
			}
			if m.slot != (tt.state.slot+1)%len(mixPattern) {
				t.Errorf("slot %d after %d", m.slot, tt.state.slot)
			}
		})
	}
}

func TestEndToEndMixed(t *testing.T) {
	for _, password := range []string{"", "Pa55!"} {
		t.Run("password "+password, func(t *testing.T) {
			f := &fakeServer{secret: []byte("shared"), replySecret: []byte("shared"), password: password,
				now: func() time.Time { return midStep }}
			cfg := testConfig(startFake(t, f, 20), scenMixed, 80)
			cfg.users, cfg.password = 20, secretValue(password) // 60 fresh codes: enough for 80 requests
			r, err := execute(t.Context(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			want(t, "requests", r.Requests, 80)
			want(t, "unexpected", r.Unexpected, 0)
			want(t, "timeouts", r.Timeouts, 0)
			if len(r.Mixed) != int(numMixKinds) {
				t.Fatalf("mixed report %+v", r.Mixed)
			}
			var sum uint64
			for _, k := range r.Mixed {
				sum += k.Requests
				if k.Requests == 0 || k.Wrong != 0 || k.Timeouts != 0 {
					t.Errorf("kind %+v", k)
				}
			}
			want(t, "requests over kinds", sum, 80)
			want(t, "retransmissions answered from the cache", r.DuplicatesCached, r.Mixed[mixResend].Requests)
			want(t, "accepts", r.Accepts, r.Mixed[mixFresh].Requests+r.Mixed[mixResend].Requests+r.Mixed[mixStatus].Requests)
		})
	}
}

// TestEndToEndMixedWrongAnswers: a server without replay protection or
// duplicate cache accepts replays; each is a wrong answer of its kind.
func TestEndToEndMixedWrongAnswers(t *testing.T) {
	f := &fakeServer{secret: []byte("shared"), replySecret: []byte("shared"), noReplay: true,
		now: func() time.Time { return midStep }}
	cfg := testConfig(startFake(t, f, 20), scenMixed, 60)
	cfg.users = 20
	r, err := execute(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if replay := r.Mixed[mixReplay]; replay.Requests == 0 || replay.Wrong != replay.Requests {
		t.Errorf("replays %+v: every one must be a wrong answer", replay)
	}
	want(t, "unexpected", r.Unexpected, r.Mixed[mixReplay].Wrong)
	var b bytes.Buffer
	if err := r.write(&b, false); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "mixed      replay     expects Access-Reject") {
		t.Errorf("text report:\n%s", b.String())
	}
	b.Reset()
	if err := r.write(&b, true); err != nil {
		t.Fatal(err)
	}
	var back report
	if err := json.Unmarshal(b.Bytes(), &back); err != nil || len(back.Mixed) != int(numMixKinds) {
		t.Errorf("json %v: %s", err, b.String())
	}
}
