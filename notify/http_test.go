package notify

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"radiusd/internal/testcert"
	"radiusd/secret"
)

// captured is one request the test server received.
type captured struct {
	method, path string
	header       http.Header
	body         string
}

// provider is an httptest server that records requests and answers with
// status (and a body that echoes the request, as some providers do).
func provider(t *testing.T, status int) (*httptest.Server, <-chan captured) {
	t.Helper()
	reqs := make(chan captured, 10)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		reqs <- captured{r.Method, r.URL.Path, r.Header.Clone(), string(b)}
		w.WriteHeader(status)
		_, _ = w.Write([]byte("you sent: " + string(b) + " with " + r.Header.Get("Authorization")))
	}))
	t.Cleanup(srv.Close)
	return srv, reqs
}

var smsMessage = Message{User: "alice", To: "+49 170 1234512", Code: "918273", Issuer: "Example VPN", Expires: 5 * time.Minute}

func TestHTTPSendRequest(t *testing.T) {
	token := secret.New([]byte("Bearer s3cr3t-t0ken"))
	for _, tc := range []struct {
		name      string
		opts      HTTPOptions
		m         Message
		wantCT    string
		checkBody func(t *testing.T, body string)
	}{
		{
			name: "form",
			opts: HTTPOptions{Body: "to={{urlquery .To}}&text={{urlquery .Issuer}}+code+{{.Code}}", Headers: map[string]string{"X-Tenant": "vpn"}},
			m:    smsMessage, wantCT: "application/x-www-form-urlencoded",
			checkBody: func(t *testing.T, body string) {
				if want := "to=%2B49+170+1234512&text=Example+VPN+code+918273"; body != want {
					t.Errorf("body %q, want %q", body, want)
				}
			},
		},
		{
			name: "json with hostile values",
			opts: HTTPOptions{Format: "json", Method: "PUT", Body: `{"to":{{json .To}},"user":{{json .User}},"text":{{json (printf "%s: %s" .Issuer .Code)}}}`},
			m: Message{User: "o\"brien\\\n</script>\u2028", To: "+1 555 0100", Code: "123456",
				Issuer: "A \"VPN\"", Expires: time.Minute},
			wantCT: "application/json",
			checkBody: func(t *testing.T, body string) {
				var got map[string]string
				if err := json.Unmarshal([]byte(body), &got); err != nil {
					t.Fatalf("body %q: %v", body, err)
				}
				if got["to"] != "+1 555 0100" || got["user"] != "o\"brien\\\n</script>\u2028" || got["text"] != "A \"VPN\": 123456" {
					t.Errorf("decoded %q", got)
				}
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, reqs := provider(t, http.StatusOK)
			tc.opts.URL, tc.opts.SecretHeader, tc.opts.SecretValue = srv.URL+"/v1/sms", "Authorization", token
			h, err := NewHTTP(tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			if err := h.Send(t.Context(), tc.m); err != nil {
				t.Fatal(err)
			}
			r := <-reqs
			wantMethod := tc.opts.Method
			if wantMethod == "" {
				wantMethod = "POST"
			}
			if r.method != wantMethod || r.path != "/v1/sms" || r.header.Get("Content-Type") != tc.wantCT ||
				r.header.Get("Authorization") != "Bearer s3cr3t-t0ken" || r.header.Get("X-Tenant") != tc.opts.Headers["X-Tenant"] {
				t.Errorf("request %s %s, headers %v", r.method, r.path, r.header)
			}
			tc.checkBody(t, r.body)
		})
	}
}

func TestHTTPStatus(t *testing.T) {
	for _, tc := range []struct {
		name    string
		status  int
		success []int
		want    int // 0: success
	}{
		{name: "200", status: 200},
		{name: "202", status: 202},
		{name: "500", status: 500, want: 500},
		{name: "401", status: 401, want: 401},
		{name: "redirect not followed", status: 302, want: 302},
		{name: "200 when only 201 succeeds", status: 200, success: []int{201}, want: 200},
		{name: "201 listed", status: 201, success: []int{201}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, _ := provider(t, tc.status)
			h, err := NewHTTP(HTTPOptions{URL: srv.URL, Body: "c={{.Code}}", SuccessStatus: tc.success,
				SecretHeader: "Authorization", SecretValue: secret.New([]byte("Bearer s3cr3t-t0ken"))})
			if err != nil {
				t.Fatal(err)
			}
			err = h.Send(t.Context(), smsMessage)
			var se *StatusError
			switch {
			case tc.want == 0 && err != nil:
				t.Fatal(err)
			case tc.want != 0 && (!errors.As(err, &se) || se.Code != tc.want):
				t.Fatalf("err = %v, want status %d", err, tc.want)
			case err != nil:
				assertNoSecrets(t, err, smsMessage.Code, "s3cr3t-t0ken", "you sent")
			}
		})
	}
}

func TestHTTPDeadline(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select { // a provider that does not answer
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(func() { close(release); srv.Close() })
	for _, tc := range []struct {
		name        string
		ctxTimeout  time.Duration
		optsTimeout time.Duration
	}{
		{name: "caller's deadline", ctxTimeout: 200 * time.Millisecond},
		{name: "sender's timeout", optsTimeout: 200 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, err := NewHTTP(HTTPOptions{URL: srv.URL, Body: "c={{.Code}}", Timeout: tc.optsTimeout})
			if err != nil {
				t.Fatal(err)
			}
			ctx := t.Context()
			if tc.ctxTimeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tc.ctxTimeout)
				defer cancel()
			}
			start := time.Now()
			err = h.Send(ctx, smsMessage)
			if elapsed := time.Since(start); elapsed > 2*time.Second {
				t.Errorf("Send took %v", elapsed)
			}
			if !errors.Is(err, context.DeadlineExceeded) || !strings.HasPrefix(err.Error(), "notify: sms: ") {
				t.Fatalf("err = %v, want deadline exceeded", err)
			}
			assertNoSecrets(t, err, smsMessage.Code)
		})
	}
}

func TestHTTPTLS(t *testing.T) {
	dir := t.TempDir()
	f, err := testcert.Write(dir, "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	other, err := testcert.Write(t.TempDir(), "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	pair, err := tls.LoadX509KeyPair(f.Cert, f.Key)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{pair}}
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshakes are expected
	srv.StartTLS()
	t.Cleanup(srv.Close)
	for _, tc := range []struct {
		name, ca string
		wantErr  bool
	}{
		{name: "test CA", ca: f.CA},
		{name: "other CA", ca: other.CA, wantErr: true},
		{name: "system roots", ca: "", wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, err := NewHTTP(HTTPOptions{URL: srv.URL, Body: "c={{.Code}}", CAFile: tc.ca})
			if err != nil {
				t.Fatal(err)
			}
			err = h.Send(t.Context(), smsMessage)
			var unknown x509.UnknownAuthorityError
			switch {
			case !tc.wantErr && err != nil:
				t.Fatal(err)
			case tc.wantErr && !errors.As(err, &unknown):
				t.Fatalf("err = %v, want an unknown authority", err)
			}
		})
	}
}

func TestNewHTTPOptions(t *testing.T) {
	tok := secret.New([]byte("Bearer opt-secret-tok"))
	for _, tc := range []struct {
		name    string
		opts    HTTPOptions
		wantErr string // "" for success
	}{
		{name: "https", opts: HTTPOptions{URL: "https://sms.example.org/send", Body: "c={{.Code}}"}},
		{name: "http on loopback", opts: HTTPOptions{URL: "http://127.0.0.1:8080/send", Body: "c={{.Code}}"}},
		{name: "http elsewhere", opts: HTTPOptions{URL: "http://sms.example.org/send", Body: "c={{.Code}}"}, wantErr: "https"},
		{name: "not a URL", opts: HTTPOptions{URL: "sms.example.org", Body: "c={{.Code}}"}, wantErr: "url"},
		{name: "credentials in URL", opts: HTTPOptions{URL: "https://u:p@sms.example.org/", Body: "c={{.Code}}"}, wantErr: "credentials"},
		{name: "GET", opts: HTTPOptions{URL: "https://sms.example.org/", Method: "GET", Body: "c={{.Code}}"}, wantErr: "method"},
		{name: "unknown format", opts: HTTPOptions{URL: "https://sms.example.org/", Format: "xml", Body: "c={{.Code}}"}, wantErr: "format"},
		{name: "secret header without value", opts: HTTPOptions{URL: "https://sms.example.org/", SecretHeader: "Authorization", Body: "c={{.Code}}"}, wantErr: "together"},
		{name: "secret value without header", opts: HTTPOptions{URL: "https://sms.example.org/", SecretValue: tok, Body: "c={{.Code}}"}, wantErr: "together"},
		{name: "bad header name", opts: HTTPOptions{URL: "https://sms.example.org/", Headers: map[string]string{"X Bad": "1"}, Body: "c={{.Code}}"}, wantErr: "header"},
		{name: "header value with newline", opts: HTTPOptions{URL: "https://sms.example.org/", Headers: map[string]string{"X-A": "1\r\nX-B: 2"}, Body: "c={{.Code}}"}, wantErr: "header"},
		{name: "secret value with newline", opts: HTTPOptions{URL: "https://sms.example.org/", SecretHeader: "Authorization", SecretValue: secret.New([]byte("opt-secret-tok\nb")), Body: "c={{.Code}}"}, wantErr: "secret header"},
		{name: "secret header also in headers", opts: HTTPOptions{URL: "https://sms.example.org/", SecretHeader: "Authorization", SecretValue: tok, Headers: map[string]string{"authorization": "x"}, Body: "c={{.Code}}"}, wantErr: "both"},
		{name: "bad status", opts: HTTPOptions{URL: "https://sms.example.org/", SuccessStatus: []int{2000}, Body: "c={{.Code}}"}, wantErr: "status"},
		{name: "no body", opts: HTTPOptions{URL: "https://sms.example.org/"}, wantErr: "empty"},
		{name: "body does not parse", opts: HTTPOptions{URL: "https://sms.example.org/", Body: "c={{.Code"}, wantErr: "body template"},
		{name: "body without code", opts: HTTPOptions{URL: "https://sms.example.org/", Body: "to={{urlquery .To}}"}, wantErr: "does not show the code"},
		{name: "unescaped JSON", opts: HTTPOptions{URL: "https://sms.example.org/", Format: "json", Body: `{"to":"{{.To}}","c":"{{.Code}}"}`}, wantErr: "not valid JSON"},
		{name: "JSON not escaped for newlines", opts: HTTPOptions{URL: "https://sms.example.org/", Format: "json", Body: `{"u":"{{js .User}}","c":"{{.Code}}"}`}, wantErr: "not valid JSON"},
		{name: "escaped JSON", opts: HTTPOptions{URL: "https://sms.example.org/", Format: "json", Body: `{"to":{{json .To}},"c":{{json .Code}}}`}},
		{name: "unescaped form", opts: HTTPOptions{URL: "https://sms.example.org/", Body: "to={{.To}}&c={{.Code}}"}, wantErr: "not a valid form"},
		{name: "negative timeout", opts: HTTPOptions{URL: "https://sms.example.org/", Body: "c={{.Code}}", Timeout: -time.Second}, wantErr: "negative"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewHTTP(tc.opts)
			if err != nil {
				assertNoSecrets(t, err, "opt-secret-tok")
			}
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatal(err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr) || !strings.HasPrefix(err.Error(), "notify: sms: ")):
				t.Fatalf("err = %v, want one containing %q", err, tc.wantErr)
			}
		})
	}
}

func TestHTTPRefusesMessage(t *testing.T) {
	h, err := NewHTTP(HTTPOptions{URL: "http://127.0.0.1:1/", Body: "c={{.Code}}"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		m       Message
		wantErr error
	}{
		{name: "no code", m: Message{To: "+4917012345"}, wantErr: ErrNoCode},
		{name: "no number", m: Message{Code: "123456"}, wantErr: ErrRecipient},
		{name: "letters", m: Message{To: "call alice", Code: "123456"}, wantErr: ErrRecipient},
		{name: "header smuggling", m: Message{To: "+49\r\nX: y", Code: "123456"}, wantErr: ErrRecipient},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := h.Send(t.Context(), tc.m); !errors.Is(err, tc.wantErr) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
		})
	}
}

// assertNoSecrets fails t when err's text contains one of secrets.
func assertNoSecrets(t *testing.T, err error, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		if s != "" && strings.Contains(err.Error(), s) {
			t.Errorf("error %q shows %q", err, s)
		}
	}
}
