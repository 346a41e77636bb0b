package auth

import (
	"context"
	"crypto/hmac"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"radiusd/directory"
	"radiusd/store"
)

// Sender delivers one code by e-mail or SMS. Implementations must not log
// the code or put it in an error.
type Sender interface {
	Send(ctx context.Context, m OutgoingCode) error
	// Channel names the channel for users and logs: "e-mail" or "SMS".
	Channel() string
	// Mask shortens an address or number for a Reply-Message.
	Mask(to string) string
}

// OutgoingCode is one code to send.
type OutgoingCode struct {
	User     string        // normalised user name
	To       string        // the directory's e-mail address or mobile number
	Code     string        // the code; never logged
	Lifetime time.Duration // how long it stays valid
}

// MessageOptions configure codes sent by e-mail or SMS (PRODUCT.md, issue
// "codes by e-mail and SMS"). With no Senders the feature is off.
type MessageOptions struct {
	Senders     map[store.Method]Sender // store.MethodEmail, store.MethodSMS
	EmailGroups []string                // members get codes by e-mail unless set per user
	SMSGroups   []string                // members get codes by SMS unless set per user
	Digits      int                     // 6 to 8
	Lifetime    time.Duration           // a sent code's validity
	ResendGap   time.Duration           // least time between two sends to one user
	SendTimeout time.Duration           // bound on one send
	CodeKey     []byte                  // HMAC key of the stored code digests
}

// Reply-Messages of the message-code flow.
const (
	msgNoChallenge = "This login cannot receive a code by e-mail or SMS: use your VPN client's code prompt"
	msgNoAddress   = "No address on file to send your code to: contact your administrator"
	msgMethodOff   = "Your second factor is not available: contact your administrator"
)

// methodOf returns how rec receives the second factor: the per-user
// override, else the method groups (one directory lookup, only when such
// groups are configured), else TOTP.
func (a *Authenticator) methodOf(ctx context.Context, rec store.User) (store.Method, error) {
	if rec.Method != "" && rec.Method != store.MethodDefault {
		return rec.Method, nil
	}
	m := a.opts.Messages
	if len(m.EmailGroups) == 0 && len(m.SMSGroups) == 0 {
		return store.MethodTOTP, nil
	}
	u, err := a.dir.Lookup(ctx, rec.Name)
	if errors.Is(err, directory.ErrNotFound) || errors.Is(err, directory.ErrDisabled) {
		return store.MethodTOTP, nil // the password check that follows rejects
	}
	if err != nil {
		return "", fmt.Errorf("auth: lookup method groups: %w", err)
	}
	switch {
	case memberOf(u.Groups, m.EmailGroups):
		return store.MethodEmail, nil
	case memberOf(u.Groups, m.SMSGroups):
		return store.MethodSMS, nil
	}
	return store.MethodTOTP, nil
}

// memberOf reports whether any of groups is in want (case-insensitively).
func memberOf(groups, want []string) bool {
	return slices.ContainsFunc(groups, func(g string) bool {
		return slices.ContainsFunc(want, func(w string) bool { return strings.EqualFold(g, w) })
	})
}

// messageCode serves a user whose method is e-mail or SMS, which means a
// second factor whatever policy.enforce says (only the exempt override
// lets the password alone through): the password is checked first (a send on an unauthenticated request would let anyone
// flood users), then a fresh code is stored as a keyed digest with a
// challenge and sent, and the NAS gets Access-Challenge.
func (a *Authenticator) messageCode(ctx context.Context, rec store.User, req Request, method store.Method) (Decision, error) {
	if rec.Policy == store.PolicyExempt { // a method chosen for the user means a second factor, unless exempt
		return a.passwordAlone(ctx, rec.Name, req.Password, "password_only")
	}
	sender := a.opts.Messages.Senders[method]
	switch {
	case req.Mode == ModeOTPOnly || req.Mode == ModePasswordOnly:
		return rejectWith(rec.Name, "code_needs_challenge", msgNoChallenge), nil
	case sender == nil:
		a.log.Error("user's method is not configured", "user", rec.Name, "method", string(method))
		return rejectWith(rec.Name, "method_unavailable", msgMethodOff), nil
	}
	u, err := a.dir.Authenticate(ctx, rec.Name, req.Password)
	if err != nil {
		return a.passwordFailed(rec.Name, err)
	}
	to := u.Email
	if method == store.MethodSMS {
		to = u.Mobile
	}
	if to == "" {
		a.log.Warn("no address to send the code to", "user", rec.Name, "method", string(method))
		return rejectWith(rec.Name, "no_address", msgNoAddress), nil
	}
	return a.sendCode(ctx, rec.Name, req.Client, sender, to)
}

// sendCode reserves a send (the resend limit), stores the challenge with
// the code's digest, then sends the code within SendTimeout.
func (a *Authenticator) sendCode(ctx context.Context, name, client string, s Sender, to string) (Decision, error) {
	m := a.opts.Messages
	now := a.opts.Now()
	err := a.store.ReserveSend(ctx, name, now, m.ResendGap)
	if errors.Is(err, store.ErrTooSoon) {
		return rejectWith(name, "resend_too_soon", fmt.Sprintf("A code was sent moments ago: wait %s, then sign in again", m.ResendGap)), nil
	}
	if err != nil {
		return failed(name, fmt.Errorf("auth: reserve send: %w", err))
	}
	code, err := randomDigits(a.opts.Rand, m.Digits)
	if err != nil {
		return failed(name, fmt.Errorf("auth: code: %w", err))
	}
	d, err := a.putChallenge(ctx, name, client, now.Add(m.Lifetime), a.codeDigest(name, code))
	if err != nil {
		return d, err
	}
	sendCtx, cancel := context.WithTimeout(ctx, m.SendTimeout)
	defer cancel()
	if err := s.Send(sendCtx, OutgoingCode{User: name, To: to, Code: code, Lifetime: m.Lifetime}); err != nil {
		a.log.Error("code not sent", "user", name, "channel", s.Channel(), "err", err)
		return rejectWith(name, "send_failed", notSentMessage(m.ResendGap)), nil
	}
	d.Reason = "code_sent"
	d.ReplyMessage = fmt.Sprintf("Enter the code sent by %s to %s", s.Channel(), s.Mask(to))
	return d, nil
}

// answerSentCode checks the answer to a message-code challenge: the sent
// code, or a recovery code; a wrong one counts as a failure.
func (a *Authenticator) answerSentCode(ctx context.Context, rec store.User, c store.Challenge, typed string) (Decision, bool, error) {
	typed = strings.TrimSpace(typed)
	if hmac.Equal(a.codeDigest(rec.Name, typed), c.Code) {
		if rec.Failures > 0 {
			if err := a.store.Unlock(ctx, rec.Name); err != nil {
				d, err := failed(rec.Name, fmt.Errorf("auth: clear failures: %w", err))
				return d, false, err
			}
		}
		return Decision{}, true, nil
	}
	if rec.State == store.StateActive && rec.RecoveryLeft > 0 && len(typed) != a.opts.Messages.Digits {
		return a.verifySecondFactor(ctx, rec, typed, true)
	}
	d, err := a.secondFactorFailed(ctx, rec.Name, typed, "bad_code")
	return d, false, err
}

// codeDigest is the keyed digest a sent code is stored as.
func (a *Authenticator) codeDigest(name, code string) []byte {
	return keyedDigest(a.opts.Messages.CodeKey, name, code)
}

// randomDigits returns n uniformly random decimal digits.
func randomDigits(r io.Reader, n int) (string, error) {
	b := make([]byte, n)
	out := make([]byte, 0, n)
	for len(out) < n {
		if _, err := io.ReadFull(r, b); err != nil {
			return "", err
		}
		for _, x := range b {
			if x < 250 && len(out) < n { // 250 = 25 × 10: no modulo bias
				out = append(out, '0'+x%10)
			}
		}
	}
	return string(out), nil
}

// notSentMessage tells the user when a new attempt can send a code: the
// failed one still holds the resend reservation.
func notSentMessage(gap time.Duration) string {
	if gap <= 0 {
		return "Your code could not be sent: try again later"
	}
	return fmt.Sprintf("Your code could not be sent: try again in %s", gap)
}

func rejectWith(user, reason, message string) Decision {
	d := reject(user, reason)
	d.ReplyMessage = message
	return d
}

// check validates the options when some sender is configured.
func (m MessageOptions) check() error {
	if len(m.Senders) == 0 {
		return nil
	}
	switch {
	case len(m.CodeKey) < 32:
		return errors.New("auth: the message code key must be at least 32 bytes")
	case m.Digits < 6 || m.Digits > 8:
		return fmt.Errorf("auth: message codes must have 6 to 8 digits, not %d", m.Digits)
	case m.Lifetime <= 0 || m.SendTimeout <= 0 || m.ResendGap < 0:
		return errors.New("auth: message code lifetime and send timeout must be positive")
	}
	return nil
}
