package smtptest

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"mime/quotedprintable"
	"net/mail"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// Message is one message the server accepted.
type Message struct {
	From     string      // envelope sender (MAIL FROM)
	To       []string    // envelope recipients (RCPT TO)
	TLS      bool        // the session ran over TLS (STARTTLS or implicit)
	AuthUser string      // the user that logged in; "" without AUTH
	AuthMech string      // the AUTH mechanism used: "PLAIN", "LOGIN"; "" without AUTH
	Raw      []byte      // the message as received, CRLF line ends, dots unstuffed
	Header   mail.Header // Raw's parsed header
	Body     string      // Raw's body, decoded from its Content-Transfer-Encoding
}

// record is what server.py writes for each message.
type record struct {
	MailFrom string   `json:"mail_from"`
	RcptTos  []string `json:"rcpt_tos"`
	TLS      bool     `json:"tls"`
	Auth     *struct {
		User      string `json:"user"`
		Mechanism string `json:"mechanism"`
	} `json:"auth"`
	Data string `json:"data"`
}

// Messages returns the messages received so far, oldest first. A message
// is there as soon as the client saw the server accept it. It fails t
// when a stored message cannot be read or parsed.
func (s *Server) Messages(t testing.TB) []Message {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(s.mailDir(), "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(paths)
	msgs := make([]Message, 0, len(paths))
	for _, p := range paths {
		m, err := readMessage(p)
		if err != nil {
			t.Fatal(err)
		}
		msgs = append(msgs, m)
	}
	return msgs
}

// readMessage reads and parses one stored message.
func readMessage(path string) (Message, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Message{}, fmt.Errorf("smtptest: %w", err)
	}
	var r record
	if err := json.Unmarshal(b, &r); err != nil {
		return Message{}, fmt.Errorf("smtptest: %s: %w", path, err)
	}
	m := Message{From: r.MailFrom, To: r.RcptTos, TLS: r.TLS}
	if r.Auth != nil {
		m.AuthUser, m.AuthMech = r.Auth.User, r.Auth.Mechanism
	}
	if m.Raw, err = base64.StdEncoding.DecodeString(r.Data); err != nil {
		return Message{}, fmt.Errorf("smtptest: %s: %w", path, err)
	}
	pm, err := mail.ReadMessage(bytes.NewReader(m.Raw))
	if err != nil {
		return Message{}, fmt.Errorf("smtptest: %s: parse: %w", path, err)
	}
	m.Header = pm.Header
	body, err := decodeBody(pm)
	if err != nil {
		return Message{}, fmt.Errorf("smtptest: %s: body: %w", path, err)
	}
	m.Body = body
	return m, nil
}

// decodeBody decodes a quoted-printable or base64 body; other encodings
// (7bit, 8bit, none) are returned as they are.
func decodeBody(pm *mail.Message) (string, error) {
	var r io.Reader = pm.Body
	switch strings.ToLower(strings.TrimSpace(pm.Header.Get("Content-Transfer-Encoding"))) {
	case "quoted-printable":
		r = quotedprintable.NewReader(r)
	case "base64":
		r = base64.NewDecoder(base64.StdEncoding, r)
	}
	b, err := io.ReadAll(r)
	return string(b), err
}
