package notify

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/quotedprintable"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"
)

// maxSubject bounds the rendered subject in bytes, before encoding, so
// that the header stays well below the 998-byte line limit of RFC 5322.
const maxSubject = 200

// compose checks m and builds the message (RFC 5322 with MIME, RFC 2045):
// headers, a blank line and a text/plain UTF-8 body, with CRLF line ends.
// Dot-stuffing is left to net/smtp's DATA writer. It returns the bare
// recipient address for the envelope.
func (s *SMTP) compose(m Message) (string, []byte, error) {
	to, err := emailRecipient(m)
	if err != nil {
		return "", nil, fmt.Errorf("notify: smtp: %w", err)
	}
	subject, err := s.renderSubject(m)
	if err != nil {
		return "", nil, fmt.Errorf("notify: smtp: %w", err)
	}
	body, err := render(s.body, m)
	if err != nil {
		return "", nil, fmt.Errorf("notify: smtp: %w", err)
	}
	id, err := s.messageID()
	if err != nil {
		return "", nil, fmt.Errorf("notify: smtp: %w", err)
	}
	var b bytes.Buffer
	for _, h := range [][2]string{
		{"Date", s.now().Format(time.RFC1123Z)},
		{"From", s.from.String()},
		{"To", (&mail.Address{Address: to}).String()},
		{"Subject", mime.QEncoding.Encode("utf-8", subject)},
		{"Message-ID", id},
		{"MIME-Version", "1.0"},
		{"Content-Type", "text/plain; charset=utf-8"},
		{"Auto-Submitted", "auto-generated"}, // RFC 3834: no auto-replies
	} {
		b.WriteString(h[0] + ": " + h[1] + "\r\n")
	}
	writeBody(&b, body)
	return to, b.Bytes(), nil
}

// emailRecipient returns the bare address of m.To, after checking that m
// has a code and a single valid recipient.
func emailRecipient(m Message) (string, error) {
	if m.Code == "" {
		return "", ErrNoCode
	}
	a, err := mail.ParseAddress(m.To)
	if err != nil || hasLineBreak(m.To) {
		return "", fmt.Errorf("%s: %w", MaskEmail(m.To), ErrRecipient)
	}
	return a.Address, nil
}

// renderSubject renders the subject and refuses line breaks (a user name
// with a newline must not add a header) and overlong results.
func (s *SMTP) renderSubject(m Message) (string, error) {
	subject, err := render(s.subject, m)
	switch {
	case err != nil:
		return "", err
	case hasLineBreak(subject):
		return "", errors.New("subject has a line break")
	case len(subject) > maxSubject:
		return "", fmt.Errorf("subject longer than %d bytes", maxSubject)
	}
	return subject, nil
}

// writeBody writes the Content-Transfer-Encoding header, the blank line
// and body with CRLF line ends: as is ("7bit") when body is ASCII with
// lines of at most 998 bytes, else quoted-printable, which any server
// accepts (no need for 8BITMIME).
func writeBody(b *bytes.Buffer, body string) {
	body = strings.ReplaceAll(body, "\r\n", "\n")
	body = strings.ReplaceAll(body, "\r", "\n")
	if !strings.HasSuffix(body, "\n") {
		body += "\n"
	}
	if is7bit(body) {
		b.WriteString("Content-Transfer-Encoding: 7bit\r\n\r\n")
		b.WriteString(strings.ReplaceAll(body, "\n", "\r\n"))
		return
	}
	b.WriteString("Content-Transfer-Encoding: quoted-printable\r\n\r\n")
	w := quotedprintable.NewWriter(b)
	_, _ = w.Write([]byte(body)) // writes to a bytes.Buffer do not fail
	_ = w.Close()
}

// is7bit reports whether body is ASCII without NUL and every line fits in
// 998 bytes (RFC 5322 section 2.1.1).
func is7bit(body string) bool {
	for line := range strings.Lines(body) {
		if len(line) > 999 { // 998 and the "\n"
			return false
		}
	}
	for i := 0; i < len(body); i++ {
		if body[i] == 0 || body[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// messageID returns a new "<random@domain>" Message-ID, the domain taken
// from the From address.
func (s *SMTP) messageID() (string, error) {
	var r [16]byte
	if _, err := io.ReadFull(s.rand, r[:]); err != nil {
		return "", fmt.Errorf("message-id: %w", err)
	}
	domain := s.from.Address[strings.LastIndexByte(s.from.Address, '@')+1:]
	return "<" + hex.EncodeToString(r[:]) + "@" + domain + ">", nil
}

// b64 is standard base64, as SMTP AUTH uses it.
func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }
