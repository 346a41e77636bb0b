package auth

import (
	"context"
	"crypto/rand"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"radiusd/directory/directorytest"
	"radiusd/store"
)

// fakeSender records the codes it is asked to send, or fails with err.
type fakeSender struct {
	mu   sync.Mutex
	sent []OutgoingCode
	err  error
}

func (s *fakeSender) Send(_ context.Context, m OutgoingCode) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return s.err
	}
	s.sent = append(s.sent, m)
	return nil
}

func (s *fakeSender) Channel() string { return "e-mail" }

func (s *fakeSender) Mask(to string) string { return to[:1] + "***" }

// last returns the last code sent, failing the test if none was.
func (s *fakeSender) last(t *testing.T) OutgoingCode {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.sent) == 0 {
		t.Fatal("no code was sent")
	}
	return s.sent[len(s.sent)-1]
}

// newMessageEnv is newEnv with an e-mail sender; dave gets codes by
// e-mail (per user), erin by group, alice keeps TOTP.
func newMessageEnv(t *testing.T) (*env, *fakeSender) {
	s := &fakeSender{}
	e := newEnv(t, func(o *Options) {
		o.Messages = MessageOptions{
			Senders: map[store.Method]Sender{store.MethodEmail: s}, EmailGroups: []string{"contractors"},
			Digits: 6, Lifetime: 5 * time.Minute, ResendGap: 30 * time.Second, SendTimeout: time.Second, CodeKey: key32,
		}
	})
	e.dir.Users["dave"] = directorytest.FakeUser{Password: pw, Email: "dave@example.org"}
	e.dir.Users["erin"] = directorytest.FakeUser{Password: pw, Groups: []string{"Contractors"}, Email: "erin@example.org"}
	e.dir.Users["frank"] = directorytest.FakeUser{Password: pw}
	e.st.user("dave").Method = store.MethodEmail
	e.st.user("frank").Method = store.MethodEmail
	return e, s
}

// answer sends the follow-up of a challenge.
func (e *env) answer(t *testing.T, mode Mode, user, code string, state []byte) Decision {
	t.Helper()
	d, err := e.a.Authenticate(t.Context(), Request{Client: "vpn", Mode: mode, Username: user, Password: code, State: state})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestSentCodeOnce(t *testing.T) {
	e, s := newMessageEnv(t)
	first := e.do(t, ModeChallenge, "dave", pw)
	if first.Result != Challenge || first.Reason != "code_sent" || first.ReplyMessage != "Enter the code sent by e-mail to d***" {
		t.Fatalf("first: %v/%s %q", first.Result, first.Reason, first.ReplyMessage)
	}
	m := s.last(t)
	if m.User != "dave" || m.To != "dave@example.org" || len(m.Code) != 6 || m.Lifetime != 5*time.Minute {
		t.Fatalf("sent %+v", m)
	}
	if d := e.answer(t, ModeChallenge, "dave", " "+m.Code+" ", first.State); d.Result != Accept || d.Reason != "sent_code" {
		t.Fatalf("answer: %v/%s", d.Result, d.Reason)
	}
	if d := e.answer(t, ModeChallenge, "dave", m.Code, first.State); d.Result != Reject || d.Reason != "unknown_state" {
		t.Fatalf("same code again: %v/%s", d.Result, d.Reason)
	}
	for _, line := range strings.Split(e.logs.String(), "\n") {
		if strings.Contains(line, m.Code) {
			t.Errorf("log line holds the code: %s", line)
		}
	}
}

func TestSentCodeModes(t *testing.T) {
	tests := []struct {
		name, user, password string
		mode                 Mode
		want                 Result
		reason               string
		sends                int
	}{
		{"challenge", "dave", pw, ModeChallenge, Challenge, "code_sent", 1},
		{"password+otp gets the challenge", "dave", pw, ModePasswordOTP, Challenge, "code_sent", 1},
		{"auto", "dave", pw, ModeAuto, Challenge, "code_sent", 1},
		{"by group", "erin", pw, ModeChallenge, Challenge, "code_sent", 1},
		{"wrong password sends nothing", "dave", "nope", ModeChallenge, Reject, "bad_password", 0},
		{"otp-only cannot check the password", "dave", "123456", ModeOTPOnly, Reject, "code_needs_challenge", 0},
		{"password-only cannot challenge", "dave", pw, ModePasswordOnly, Reject, "code_needs_challenge", 0},
		{"no address", "frank", pw, ModeChallenge, Reject, "no_address", 0},
		{"totp user unchanged", "alice", pw, ModeChallenge, Reject, "not_enrolled", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, s := newMessageEnv(t)
			d := e.do(t, tt.mode, tt.user, tt.password)
			if d.Result != tt.want || d.Reason != tt.reason {
				t.Errorf("%v/%s %q, want %v/%s", d.Result, d.Reason, d.ReplyMessage, tt.want, tt.reason)
			}
			if len(s.sent) != tt.sends {
				t.Errorf("%d codes sent, want %d", len(s.sent), tt.sends)
			}
			if d.Result == Reject && d.ReplyMessage == "" {
				t.Error("a reject without a Reply-Message")
			}
		})
	}
}

func TestSentCodeWhateverTheEnforcement(t *testing.T) {
	for _, enforce := range []Enforcement{EnforceOptIn, EnforceGroups} {
		e, s := newMessageEnv(t)
		pol := *e.a.policy()
		pol.Enforce, pol.Groups = enforce, []string{"nobody-here"}
		if err := e.a.SetPolicy(pol); err != nil {
			t.Fatal(err)
		}
		if d := e.do(t, ModeChallenge, "erin", pw); d.Result != Challenge || len(s.sent) != 1 {
			t.Errorf("%s: %v/%s, want a code sent", enforce, d.Result, d.Reason)
		}
		e.st.user("dave").Policy = store.PolicyExempt
		if d := e.do(t, ModeChallenge, "dave", pw); d.Result != Accept || d.Reason != "password_only" {
			t.Errorf("%s, exempt: %v/%s", enforce, d.Result, d.Reason)
		}
	}
}

func TestSentCodeResendLimit(t *testing.T) {
	e, s := newMessageEnv(t)
	e.do(t, ModeChallenge, "dave", pw)
	if d := e.do(t, ModeChallenge, "dave", pw); d.Reason != "resend_too_soon" || d.ReplyMessage != "A code was sent moments ago: wait 30s, then sign in again" {
		t.Fatalf("second request at once: %v/%s", d.Result, d.Reason)
	}
	e.now = e.now.Add(31 * time.Second)
	if d := e.do(t, ModeChallenge, "dave", pw); d.Result != Challenge {
		t.Fatalf("after the gap: %v/%s", d.Result, d.Reason)
	}
	if len(s.sent) != 2 {
		t.Fatalf("%d codes sent, want 2", len(s.sent))
	}
}

func TestSentCodeExpiresAndFails(t *testing.T) {
	e, s := newMessageEnv(t)
	first := e.do(t, ModeChallenge, "dave", pw)
	e.now = e.now.Add(5*time.Minute + time.Second)
	if d := e.answer(t, ModeChallenge, "dave", s.last(t).Code, first.State); d.Reason != "unknown_state" {
		t.Fatalf("expired code: %v/%s", d.Result, d.Reason)
	}
	second := e.do(t, ModeChallenge, "dave", pw)
	wrong := "000000"
	if s.last(t).Code == wrong {
		wrong = "000001"
	}
	if d := e.answer(t, ModeChallenge, "dave", wrong, second.State); d.Reason != "bad_code" {
		t.Fatalf("wrong code: %v/%s", d.Result, d.Reason)
	}
	if got := e.st.users["dave"].Failures; got != 1 {
		t.Fatalf("failures = %d, want 1", got)
	}
	e.now = e.now.Add(time.Minute)
	third := e.do(t, ModeChallenge, "dave", pw)
	if d := e.answer(t, ModeChallenge, "dave", s.last(t).Code, third.State); d.Result != Accept {
		t.Fatalf("right code: %v/%s", d.Result, d.Reason)
	}
	if got := e.st.users["dave"].Failures; got != 0 {
		t.Fatalf("failures after success = %d, want 0", got)
	}
}

func TestSentCodeRecoveryCode(t *testing.T) {
	e, _ := newMessageEnv(t)
	e.enroll("dave")
	rc := e.recovery(t, "dave")
	first := e.do(t, ModeChallenge, "dave", pw)
	if d := e.answer(t, ModeChallenge, "dave", rc, first.State); d.Result != Accept || d.Reason != "sent_code" {
		t.Fatalf("recovery code: %v/%s", d.Result, d.Reason)
	}
}

func TestSentCodeSendFails(t *testing.T) {
	e, s := newMessageEnv(t)
	s.err = errors.New("smtp: connection refused")
	d := e.do(t, ModeChallenge, "dave", pw)
	if d.Result != Reject || d.Reason != "send_failed" || d.ReplyMessage != "Your code could not be sent: try again in 30s" {
		t.Fatalf("%v/%s %q", d.Result, d.Reason, d.ReplyMessage)
	}
	if !strings.Contains(e.logs.String(), "code not sent") {
		t.Fatalf("no Error line: %s", e.logs)
	}
}

func TestRandomDigits(t *testing.T) {
	// Bytes of 250 and up are skipped (no modulo bias); the rest give x % 10.
	code, err := randomDigits(strings.NewReader("\xff\x07\xf9\x10\x63\xfa"+"\x00\x01\x02\x03\x04\x05"), 6)
	if err != nil || code != "796901" {
		t.Fatalf("randomDigits = %q, %v; want 796901", code, err)
	}
	if _, err := randomDigits(strings.NewReader("\xff\xff"), 6); err == nil {
		t.Error("a short random source gave a code")
	}
	var counts [10]int
	for range 2000 {
		code, err := randomDigits(rand.Reader, 8)
		if err != nil || len(code) != 8 {
			t.Fatalf("%q, %v", code, err)
		}
		for _, c := range code {
			counts[c-'0']++
		}
	}
	for d, n := range counts { // 1600 expected each; 5 standard deviations is ±190
		if n < 1400 || n > 1800 {
			t.Errorf("digit %d drawn %d times in 16000, want about 1600", d, n)
		}
	}
}
