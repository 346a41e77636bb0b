package config

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestMessagesParsed(t *testing.T) {
	dir := t.TempDir()
	for name, text := range map[string]string{"smtp.pw": "smtp-PW-DO-NOT-PRINT\n", "sms.secret": "Bearer sms-DO-NOT-PRINT\n"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	doc := merge(t, minimal, `messages:
  code_digits: 8
  code_lifetime: 2m
  email_groups: [contractors]
  sms_groups: [kiosk]
  email: {server: "smtp.example.org:587", username: radiusd, password_file: smtp.pw, from: "radiusd@example.org", subject: "Code {{.Code}}"}
  sms: {url: "https://sms.example.org/send", secret_header: Authorization, secret_file: sms.secret, format: json, body: '{"to": {{json .To}}}', success_status: [200, 202]}
`)
	cfg, err := Parse([]byte(doc), dir)
	if err != nil {
		t.Fatal(err)
	}
	m := cfg.Messages
	if m.CodeDigits != 8 || m.CodeLifetime != 2*time.Minute || m.ResendInterval != 30*time.Second || m.Email.TLS != "starttls" || m.SMS.Method != "POST" {
		t.Errorf("messages = %+v", m)
	}
	if !m.Email.Password.Value().Equal([]byte("smtp-PW-DO-NOT-PRINT")) || !m.SMS.Secret.Value().Equal([]byte("Bearer sms-DO-NOT-PRINT")) {
		t.Error("secret files not read")
	}
	if w := cfg.Warnings(); !slices.ContainsFunc(w, func(s string) bool { return strings.HasPrefix(s, "messages.sms: SMS codes") }) {
		t.Errorf("no SMS warning in %q", w)
	}
}

func TestMessagesInvalid(t *testing.T) {
	tests := []struct{ name, messages, want string }{
		{"digits", `{code_digits: 5}`, "messages.code_digits: 5 is not between 6 and 8"},
		{"lifetime", `{code_lifetime: 10s}`, "messages.code_lifetime: 10s is not between 30s and 1h"},
		{"groups without server", `{email_groups: [a]}`, "messages.email_groups: needs messages.email.server"},
		{"sms groups without url", `{sms_groups: [a]}`, "messages.sms_groups: needs messages.sms.url"},
		{"send timeout", `{send_timeout: 2s, email: {server: "127.0.0.1:25", tls: none, from: a@b}}`, "messages.send_timeout: 2s must be more than 0s and less than radius.request_timeout (2s)"},
		{"plain smtp remote", `{email: {server: "smtp.example.org:25", tls: none, from: a@b}}`, "messages.email.tls: none is allowed only for a server on a loopback address"},
		{"auth without tls", `{email: {server: "127.0.0.1:25", tls: none, from: a@b, username: u, password_file: /dev/null}}`, "messages.email.username: SMTP AUTH needs tls"},
		{"no from", `{email: {server: "smtp.example.org:587"}}`, "messages.email.from: required"},
		{"bad template", `{email: {server: "smtp.example.org:587", from: a@b, body: "{{.Code"}}`, "messages.email.body: "},
		{"http remote", `{sms: {url: "http://sms.example.org/x", body: x}}`, "messages.sms.url: http:// is allowed only on a loopback address"},
		{"no body", `{sms: {url: "https://sms.example.org/x"}}`, "messages.sms.body: required"},
		{"secret header alone", `{sms: {url: "https://sms.example.org/x", body: x, secret_header: Authorization}}`, "messages.sms: secret_header and secret_file go together"},
		{"status", `{sms: {url: "https://sms.example.org/x", body: x, success_status: [42]}}`, "messages.sms.success_status: 42 is not an HTTP status"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(merge(t, minimal, "messages: "+tt.messages)), t.TempDir())
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}
