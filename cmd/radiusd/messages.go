package main

import (
	"context"

	"github.com/prometheus/client_golang/prometheus"

	"radiusd/auth"
	"radiusd/config"
	"radiusd/notify"
	"radiusd/store"
)

// purposeMessageCode names the key of the digests of codes sent by e-mail
// or SMS.
const purposeMessageCode = "message-code-digest"

// messageSenders builds the e-mail and SMS senders the config asks for,
// each counting its sends in sent (which may be nil).
func messageSenders(cfg *config.Config, sent *prometheus.CounterVec) (map[store.Method]auth.Sender, error) {
	m := cfg.Messages
	out := map[store.Method]auth.Sender{}
	if m.Email.Enabled() {
		s, err := notify.NewSMTP(notify.SMTPOptions{
			Server: m.Email.Server, TLS: m.Email.TLS, CAFile: m.Email.CAFile,
			Username: m.Email.Username, Password: m.Email.Password.Value(), From: m.Email.From,
			Subject: m.Email.Subject, Body: m.Email.Body, Timeout: m.SendTimeout,
		})
		if err != nil {
			return nil, err
		}
		out[store.MethodEmail] = codeSender{s: s, channel: "e-mail", mask: notify.MaskEmail, issuer: cfg.TOTP.Issuer, sent: sent}
	}
	if m.SMS.Enabled() {
		s, err := notify.NewHTTP(notify.HTTPOptions{
			URL: m.SMS.URL, Method: m.SMS.Method, Headers: m.SMS.Headers,
			SecretHeader: m.SMS.SecretHeader, SecretValue: m.SMS.Secret.Value(),
			Body: m.SMS.Body, Format: m.SMS.Format, SuccessStatus: m.SMS.SuccessStatus,
			CAFile: m.SMS.CAFile, Timeout: m.SendTimeout,
		})
		if err != nil {
			return nil, err
		}
		out[store.MethodSMS] = codeSender{s: s, channel: "SMS", mask: notify.MaskPhone, issuer: cfg.TOTP.Issuer, sent: sent}
	}
	return out, nil
}

// codeSender adapts a notify.Sender to the decision logic's Sender.
type codeSender struct {
	s       notify.Sender
	channel string
	mask    func(string) string
	issuer  string
	sent    *prometheus.CounterVec
}

func (c codeSender) Send(ctx context.Context, m auth.OutgoingCode) error {
	err := c.s.Send(ctx, notify.Message{User: m.User, To: m.To, Code: m.Code, Issuer: c.issuer, Expires: m.Lifetime})
	if c.sent != nil {
		result := "sent"
		if err != nil {
			result = "failed"
		}
		c.sent.WithLabelValues(c.s.Channel(), result).Inc()
	}
	return err
}

func (c codeSender) Channel() string       { return c.channel }
func (c codeSender) Mask(to string) string { return c.mask(to) }

// messageOptions maps the config onto the decision logic's options.
func messageOptions(cfg *config.Config, b *backend, senders map[store.Method]auth.Sender) auth.MessageOptions {
	m := cfg.Messages
	return auth.MessageOptions{
		Senders: senders, EmailGroups: m.EmailGroups, SMSGroups: m.SMSGroups,
		Digits: m.CodeDigits, Lifetime: m.CodeLifetime, ResendGap: m.ResendInterval,
		SendTimeout: m.SendTimeout, CodeKey: b.messageCode,
	}
}
