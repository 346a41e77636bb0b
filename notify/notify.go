// Package notify sends one-time codes by e-mail (SMTP) and by SMS (an HTTP
// provider), and shortens addresses for a Reply-Message (MaskEmail,
// MaskPhone). Drawing the code and storing its digest are the decision
// logic's (radiusd/auth).
//
// A send is bounded by the caller's ctx and by the sender's own Timeout,
// whichever ends first, and fails with an error rather than blocking: the
// caller answers the NAS before it retransmits. No error of this package
// carries the code, the SMTP password or the SMS provider's secret header
// value; errors from servers that echo them are redacted.
//
// It imports the standard library and radiusd/secret only; it must never
// import auth, store, directory, config, radiussrv or layeh.com/radius.
package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
)

// Channels, as Sender.Channel reports them.
const (
	ChannelEmail = "email"
	ChannelSMS   = "sms"
)

// defaultTimeout bounds one send when Options.Timeout is zero.
const defaultTimeout = 10 * time.Second

// Sentinel errors, matched with errors.Is. ErrRecipient and ErrNoCode
// come wrapped ("notify: smtp: a***@example.org: invalid recipient").
var (
	// ErrRecipient says that Message.To is empty or not a valid e-mail
	// address or phone number.
	ErrRecipient = errors.New("invalid recipient")
	// ErrNoCode says that Message.Code is empty.
	ErrNoCode = errors.New("no code to send")
)

// Message is one code to send and what templates see:
//
//	{{.User}}      the user name the code is for
//	{{.To}}        the recipient: e-mail address or phone number
//	{{.Code}}      the code
//	{{.Issuer}}    the service name shown to users (e.g. "Example VPN")
//	{{.Expires}}   the code's lifetime, a time.Duration ("5m0s")
//	{{.Minutes}}   the lifetime in whole minutes, rounded up (5)
//	{{.Lifetime}}  the lifetime in words ("5 minutes", "1 minute", "45 seconds")
//
// Printing a Message with fmt or slog shows the user and the masked
// recipient, never the code.
type Message struct {
	User, To, Code, Issuer string
	Expires                time.Duration
}

// Minutes returns Expires in whole minutes, rounded up.
func (m Message) Minutes() int {
	return int((m.Expires + time.Minute - 1) / time.Minute)
}

// Lifetime returns Expires in words: "N seconds" under a minute, else
// "N minutes" (rounded up) or "1 minute".
func (m Message) Lifetime() string {
	switch n := m.Minutes(); {
	case m.Expires < time.Minute:
		return fmt.Sprintf("%d seconds", int(m.Expires/time.Second))
	case n == 1:
		return "1 minute"
	default:
		return fmt.Sprintf("%d minutes", n)
	}
}

// String prints the user and the masked recipient, never the code.
func (m Message) String() string {
	return fmt.Sprintf("notify.Message{User:%q To:%q Code:[redacted]}", m.User, maskAny(m.To))
}

// GoString is String, so that %#v does not print the code either.
func (m Message) GoString() string { return m.String() }

// LogValue logs the user and the masked recipient, never the code.
func (m Message) LogValue() slog.Value {
	return slog.GroupValue(slog.String("user", m.User), slog.String("to", maskAny(m.To)))
}

// maskAny masks an e-mail address or a phone number.
func maskAny(to string) string {
	if strings.Contains(to, "@") {
		return MaskEmail(to)
	}
	return MaskPhone(to)
}

// Sender sends a code on one channel.
//
// Send returns nil only when the server or provider accepted the message.
// It returns when ctx ends (with an error wrapping ctx.Err()) or the
// sender's own Timeout passes, whichever comes first. Its errors never
// contain the code or the sender's credentials. Implementations are safe
// for concurrent use.
type Sender interface {
	Send(ctx context.Context, m Message) error
	// Channel is ChannelEmail or ChannelSMS.
	Channel() string
}

// withTimeout bounds ctx by d when d is positive.
func withTimeout(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	if d <= 0 {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, d)
}
