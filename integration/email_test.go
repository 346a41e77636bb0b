//go:build integration

package integration

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"radiusd/notify/smtptest"
)

// emailTemplates are the subject and body templates of TestEmailCode, and
// its issuer; they continue the email: block of emailSection.
const emailTemplates = `    subject: "{{.Issuer}} sign-in code for {{.User}}"
    body: |
      Hello {{.User}},

      your code is {{.Code}}. It expires in {{.Lifetime}} ({{.Minutes}} min).
  email_groups: [mail-users]
totp: { issuer: "Example VPN" }
`

// TestEmailCode: codes by e-mail through a real SMTP server (aiosmtpd with
// STARTTLS, verified against the test CA, and AUTH with password_file),
// for users chosen by "radiusd user method" and by messages.email_groups,
// on a password+otp client: the password gets an Access-Challenge naming
// the masked address; the mailed code with its State gets Access-Accept,
// once. The resend interval, a wrong password (no mail), a wrong code
// (counted), a recovery code, the SMTP server down (a prompt reject with
// the clear message, an Error line) and the metrics are checked too.
func TestEmailCode(t *testing.T) {
	t.Parallel()
	srv, pwFile := startSMTP(t, smtptest.TLSStartTLS)
	metrics := freeTCPAddr(t)
	alice, bob, carol, dave, erin, frank := newUser("alice"), newUser("bob"), newUser("carol"),
		newUser("dave"), newUser("erin"), newUser("frank")
	s := startContacts(t, options{maxFailures: 5, extra: emailSection(srv, pwFile, emailTemplates) +
		fmt.Sprintf("metrics: { listen: %q }\n", metrics)},
		contact{user: alice, email: "alice@example.org"}, contact{user: bob, email: "bob@example.org"},
		contact{user: carol, email: "carol@example.org", groups: []string{"mail-users"}},
		contact{user: dave, email: "dave@example.org"}, contact{user: erin, email: "erin@example.org"},
		contact{user: frank, email: "frank@example.org"})
	for _, name := range []string{"alice", "bob", "dave", "frank"} {
		s.setMethod(name, "email")
	}
	var codes []string
	t.Cleanup(func() { noneIn(t, s, append(codes, alice.password, carol.password, srv.Password)...) })

	t.Run("password, mailed code, accept once", func(t *testing.T) {
		s := s.with(t)
		state := expectChallenge(t, s.auth(pap("alice", alice.password)...), "Enter the code sent by e-mail to a***@example.org")
		m := mailTo(t, srv, "alice@example.org", 1)[0]
		checkMail(t, srv, m, "alice")
		code := codeIn(t, m.Body, 6)
		codes = append(codes, code)
		if want := "Hello alice,\r\n\r\nyour code is " + code + ". It expires in 5 minutes (5 min).\r\n"; m.Body != want {
			t.Errorf("body %q, want %q", m.Body, want)
		}
		expect(t, s.answer("alice", state, code), accept, "")
		if len(s.logLines(1, `msg="radius decision"`, "user=alice", "reason=sent_code", "result=accept")) != 1 {
			t.Errorf("no decision line with reason=sent_code for alice")
		}
		expect(t, s.answer("alice", state, code), reject, "")
	})
	t.Run("second login within resend_interval", func(t *testing.T) {
		s := s.with(t)
		state := expectChallenge(t, s.auth(pap("bob", bob.password)...), "Enter the code sent by e-mail to b***@example.org")
		expect(t, s.auth(pap("bob", bob.password)...), reject, msgResend)
		code := codeIn(t, mailTo(t, srv, "bob@example.org", 1)[0].Body, 6)
		codes = append(codes, code)
		expect(t, s.answer("bob", state, code), accept, "")
	})
	t.Run("wrong password sends nothing", func(t *testing.T) {
		s := s.with(t)
		expect(t, s.auth(pap("carol", "x"+carol.password)...), reject, msgFailed)
		mailTo(t, srv, "carol@example.org", 0)
	})
	t.Run("member of email_groups", func(t *testing.T) {
		s := s.with(t)
		state := expectChallenge(t, s.auth(pap("carol", carol.password)...), "Enter the code sent by e-mail to c***@example.org")
		code := codeIn(t, mailTo(t, srv, "carol@example.org", 1)[0].Body, 6)
		codes = append(codes, code)
		expect(t, s.answer("carol", state, code), accept, "")
	})
	t.Run("wrong code is a counted failure", func(t *testing.T) {
		s := s.with(t)
		state := expectChallenge(t, s.auth(pap("frank", frank.password)...), "Enter the code sent by e-mail to f***@example.org")
		code := codeIn(t, mailTo(t, srv, "frank@example.org", 1)[0].Body, 6)
		codes = append(codes, code)
		wrong := fmt.Sprintf("%06d", (atoi(t, code)+1)%1000000)
		sensitive.remember("wrong sent code", wrong)
		expect(t, s.answer("frank", state, wrong), reject, msgFailed)
		if got := s.show("frank").Failures; got != 1 {
			t.Errorf("failures = %d after a wrong code, want 1", got)
		}
	})
	t.Run("recovery code of an enrolled user", func(t *testing.T) {
		s := s.with(t)
		a := s.enroll(erin)
		s.setMethod("erin", "email")
		state := expectChallenge(t, s.auth(pap("erin", erin.password)...), "Enter the code sent by e-mail to e***@example.org")
		codes = append(codes, codeIn(t, mailTo(t, srv, "erin@example.org", 1)[0].Body, 6))
		expect(t, s.answer("erin", state, a.recovery[0]), accept, "")
	})
	t.Run("SMTP server down", func(t *testing.T) {
		s := s.with(t)
		srv.Stop(t)
		r, took := s.timedAuth(pap("dave", dave.password)...)
		expect(t, r, reject, msgNotSent)
		if took > sendBudget {
			t.Errorf("the reject took %v, want at most %v", took, sendBudget)
		}
		t.Logf("reject with the SMTP server down after %v", took.Round(time.Millisecond))
		if len(s.logLines(1, "level=ERROR", `msg="code not sent"`, "user=dave", "channel=e-mail")) != 1 {
			t.Errorf("no Error line for the failed send")
		}
		if len(s.logLines(1, `msg="radius decision"`, "user=dave", "reason=send_failed", "result=reject")) != 1 {
			t.Errorf("no decision line with reason=send_failed")
		}
	})
	t.Run("metrics", func(t *testing.T) {
		expectMetrics(t, metrics, map[string]float64{
			`radiusd_codes_sent_total{channel="email",result="sent"}`:                                        5,
			`radiusd_codes_sent_total{channel="email",result="failed"}`:                                      1,
			`radiusd_requests_total{client="test",mode="password+otp",reason="sent_code",result="accept"}`:   4,
			`radiusd_requests_total{client="test",mode="password+otp",reason="send_failed",result="reject"}`: 1,
		})
	})
}

// checkMail checks the envelope and headers of a code mailed to name.
func checkMail(t *testing.T, srv *smtptest.Server, m smtptest.Message, name string) {
	t.Helper()
	if !m.TLS || m.AuthUser != srv.Username || m.From != "vpn@example.org" {
		t.Errorf("envelope: TLS %t, AUTH user %q, MAIL FROM %q; want TLS, %q, vpn@example.org",
			m.TLS, m.AuthUser, m.From, srv.Username)
	}
	for key, want := range map[string]string{
		"From":    `"VPN" <vpn@example.org>`,
		"To":      "<" + name + "@example.org>",
		"Subject": "Example VPN sign-in code for " + name,
	} {
		if got := m.Header.Get(key); got != want {
			t.Errorf("%s: %q, want %q", key, got, want)
		}
	}
}

// atoi parses a decimal code.
func atoi(t *testing.T, s string) int {
	t.Helper()
	var n int
	if _, err := fmt.Sscan(s, &n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestEmailModes: which client modes can serve a user whose method is
// email. challenge, auto and password+otp answer the password with an
// Access-Challenge (here through an SMTP server with implicit TLS);
// otp-only and password-only reject at once with a Reply-Message saying
// why, and send nothing.
func TestEmailModes(t *testing.T) {
	t.Parallel()
	srv, pwFile := startSMTP(t, smtptest.TLSImplicit)
	for _, tt := range []struct {
		mode      string
		challenge bool
	}{
		{"challenge", true},
		{"auto", true},
		{"password+otp", true},
		{"otp-only", false},
		{"password-only", false},
	} {
		t.Run(tt.mode, func(t *testing.T) {
			t.Parallel()
			u := newUser("alice")
			rcpt := "alice." + strings.ReplaceAll(tt.mode, "+", "-") + "@example.org"
			s := startContacts(t, options{mode: tt.mode, extra: emailSection(srv, pwFile, "")},
				contact{user: u, email: rcpt})
			s.setMethod("alice", "email")
			r := s.auth(pap("alice", u.password)...)
			if !tt.challenge {
				expect(t, r, reject, msgNoChallenge)
				mailTo(t, srv, rcpt, 0)
				if len(s.logLines(1, `msg="radius decision"`, "reason=code_needs_challenge")) != 1 {
					t.Errorf("no decision line with reason=code_needs_challenge")
				}
				return
			}
			state := expectChallenge(t, r, "Enter the code sent by e-mail to a***@example.org")
			m := mailTo(t, srv, rcpt, 1)[0]
			if !m.TLS {
				t.Errorf("the code was mailed without TLS")
			}
			code := codeIn(t, m.Body, 6)
			expect(t, s.answer("alice", state, code), accept, "")
			noneIn(t, s, code, u.password, srv.Password)
		})
	}
}

// TestEmailCodeExpires: a mailed code answered after code_lifetime (30s,
// the least allowed) is rejected.
func TestEmailCodeExpires(t *testing.T) {
	t.Parallel()
	srv, pwFile := startSMTP(t, smtptest.TLSStartTLS)
	alice := newUser("alice")
	s := startContacts(t, options{extra: emailSection(srv, pwFile, "  code_lifetime: 30s\n")},
		contact{user: alice, email: "alice@example.org"})
	s.setMethod("alice", "email")
	sent := time.Now()
	state := expectChallenge(t, s.auth(pap("alice", alice.password)...), "Enter the code sent by e-mail to a***@example.org")
	m := mailTo(t, srv, "alice@example.org", 1)[0]
	code := codeIn(t, m.Body, 6)
	if !strings.Contains(m.Body, "It expires in 30 seconds.") { // the default body
		t.Errorf("default body %q does not give the lifetime", m.Body)
	}
	time.Sleep(time.Until(sent.Add(31 * time.Second)))
	expect(t, s.answer("alice", state, code), reject, "")
	if len(s.logLines(1, `msg="radius decision"`, "user=alice", "result=reject")) != 1 {
		t.Errorf("no reject decision line for the expired code")
	}
	noneIn(t, s, code, alice.password, srv.Password)
}

// TestEmailSendTimeout: an SMTP server that accepts the connection and
// never answers is abandoned after messages.send_timeout, and the user is
// rejected before radius.request_timeout.
func TestEmailSendTimeout(t *testing.T) {
	t.Parallel()
	addr := silentServer(t)
	alice := newUser("alice")
	s := startContacts(t, options{extra: fmt.Sprintf(`messages:
  send_timeout: 1s
  email: { server: %q, tls: none, from: vpn@example.org }
`, addr)}, contact{user: alice, email: "alice@example.org"})
	s.setMethod("alice", "email")
	r, took := s.timedAuth(pap("alice", alice.password)...)
	expect(t, r, reject, msgNotSent)
	if took < time.Second || took > sendBudget {
		t.Errorf("the reject took %v, want between send_timeout (1s) and %v", took, sendBudget)
	}
	t.Logf("reject with a silent SMTP server after %v", took.Round(time.Millisecond))
	if len(s.logLines(1, "level=ERROR", `msg="code not sent"`, "user=alice")) != 1 {
		t.Errorf("no Error line for the failed send")
	}
}

// silentServer listens on 127.0.0.1, accepts connections and never
// writes; cleanup closes it and them.
func silentServer(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return l.Addr().String()
}

// smsRequest is one request the fake SMS provider received.
type smsRequest struct {
	method, path string
	header       http.Header
	body         string
}

// smsProvider is a fake SMS provider's HTTP API on 127.0.0.1: it records
// each request and answers with status after delay (or when the client
// gives up).
type smsProvider struct {
	url    string
	reqs   chan smsRequest
	status atomic.Int32
	delay  atomic.Int64 // nanoseconds
}

// startSMSProvider starts a provider answering 200; cleanup stops it.
func startSMSProvider(t *testing.T) *smsProvider {
	t.Helper()
	p := &smsProvider{reqs: make(chan smsRequest, 16)}
	p.status.Store(http.StatusOK)
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(io.LimitReader(r.Body, 1<<16))
		select {
		case p.reqs <- smsRequest{method: r.Method, path: r.URL.Path, header: r.Header.Clone(), body: string(b)}:
		default:
		}
		select {
		case <-time.After(time.Duration(p.delay.Load())):
		case <-r.Context().Done():
			return
		}
		w.WriteHeader(int(p.status.Load()))
		io.WriteString(w, `{"status":"queued"}`)
	}))
	t.Cleanup(hs.Close)
	p.url = hs.URL
	return p
}

// next returns the next request, waiting up to 5 seconds.
func (p *smsProvider) next(t *testing.T) smsRequest {
	t.Helper()
	select {
	case r := <-p.reqs:
		return r
	case <-time.After(5 * time.Second):
		t.Fatal("the SMS provider received no request within 5s")
		return smsRequest{}
	}
}

// TestSMSCode: codes by SMS through a fake provider's HTTP API, with a JSON
// body for a user chosen by "radiusd user method" and a form body for
// members of messages.sms_groups. The provider receives exactly the
// configured request (method, path, content type, the secret header from
// secret_file, the extra header, the rendered body with the number and
// the code); the code it got answers the challenge. A provider answering
// 500, or not at all, makes a prompt reject with the clear message; the
// metrics count both; no code, secret or password reaches the log.
func TestSMSCode(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name, format, method, secretHeader, body string
		viaGroup                                 bool
		mobile, masked                           string
		wantType                                 string
		wantBody                                 func(code string) string
	}{
		{
			name: "json, user method", format: "json", method: "POST", secretHeader: "Authorization",
			body:   `{"to": {{json .To}}, "text": {{json (printf "%s code: %s" .Issuer .Code)}}}`,
			mobile: "+49 170 1234512", masked: "+49 *** **12", wantType: "application/json",
			wantBody: func(code string) string { return `{"to": "+49 170 1234512", "text": "radiusd code: ` + code + `"}` },
		},
		{
			name: "form, sms_groups", format: "form", method: "PUT", secretHeader: "X-Api-Key", viaGroup: true,
			body:   `to={{urlquery .To}}&text={{printf "Your code is %s" .Code | urlquery}}`,
			mobile: "+1 (555) 010-0123", masked: "+1 *** **23", wantType: "application/x-www-form-urlencoded",
			wantBody: func(code string) string { return "to=%2B1+%28555%29+010-0123&text=Your+code+is+" + code },
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := startSMSProvider(t)
			metrics := freeTCPAddr(t)
			key := randomSecret("SMS provider secret", "Bearer sk-test-")
			sensitive.remember("SMS provider secret", strings.TrimPrefix(key, "Bearer "))
			ok, failing, silent := newUser("ok"), newUser("failing"), newUser("silent")
			var groups []string
			if tt.viaGroup {
				groups = []string{"sms-users"}
			}
			s := newServer(t, options{mode: "challenge", extra: fmt.Sprintf(`messages:
  sms_groups: [sms-users]
  sms:
    url: %q
    method: %s
    format: %s
    headers: { X-Api-Client: radiusd-test }
    secret_header: %s
    secret_file: sms.secret
    body: %q
metrics: { listen: %q }
`, p.url+"/v1/messages", tt.method, tt.format, tt.secretHeader, tt.body, metrics)})
			s.writeFile("sms.secret", key+"\n", 0o600)
			s.writeContacts(contact{user: ok, mobile: tt.mobile, groups: groups},
				contact{user: failing, mobile: tt.mobile, groups: groups}, contact{user: silent, mobile: tt.mobile, groups: groups})
			s.start()
			if !tt.viaGroup {
				for _, name := range []string{"ok", "failing", "silent"} {
					s.setMethod(name, "sms")
				}
			}

			state := expectChallenge(t, s.auth(pap("ok", ok.password)...), "Enter the code sent by SMS to "+tt.masked)
			req := p.next(t)
			code := codeIn(t, req.body, 6)
			if req.method != tt.method || req.path != "/v1/messages" || req.body != tt.wantBody(code) {
				t.Errorf("request %s %s %q, want %s /v1/messages %q", req.method, req.path, req.body, tt.method, tt.wantBody(code))
			}
			for name, want := range map[string]string{"Content-Type": tt.wantType, tt.secretHeader: key, "X-Api-Client": "radiusd-test"} {
				if got := req.header.Get(name); got != want {
					t.Errorf("header %s: got %d characters, want %q", name, len(got), strings.TrimPrefix(want, key))
				}
			}
			expect(t, s.answer("ok", state, code), accept, "")

			p.status.Store(http.StatusInternalServerError)
			r, took := s.timedAuth(pap("failing", failing.password)...)
			expect(t, r, reject, msgNotSent)
			p.next(t)
			if len(s.logLines(1, "level=ERROR", `msg="code not sent"`, "user=failing", "channel=SMS", "500")) != 1 {
				t.Errorf("no Error line naming the provider's 500")
			}
			t.Logf("reject on the provider's 500 after %v", took.Round(time.Millisecond))

			p.status.Store(http.StatusOK)
			p.delay.Store(int64(10 * time.Second))
			r, took = s.timedAuth(pap("silent", silent.password)...)
			expect(t, r, reject, msgNotSent)
			if took > sendBudget {
				t.Errorf("the reject with a silent provider took %v, want at most %v", took, sendBudget)
			}
			t.Logf("reject with a silent provider after %v (send_timeout 1.5s)", took.Round(time.Millisecond))
			p.next(t)

			expectMetrics(t, metrics, map[string]float64{
				`radiusd_codes_sent_total{channel="sms",result="sent"}`:   1,
				`radiusd_codes_sent_total{channel="sms",result="failed"}`: 2,
			})
			noneIn(t, s, code, key, strings.TrimPrefix(key, "Bearer "), ok.password, failing.password, silent.password)
		})
	}
}
