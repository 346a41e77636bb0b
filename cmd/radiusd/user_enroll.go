package main

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/mdp/qrterminal/v3"
	qrcode "github.com/skip2/go-qrcode"

	"radiusd/otp"
)

type enrollOpts struct {
	force bool
	qrPNG string
}

func enrollFlags(c *command) any {
	o := &enrollOpts{}
	c.fs.BoolVar(&o.force, "force", false, "replace an active enrolment")
	c.fs.StringVar(&o.qrPNG, "qr-png", "", "also write the QR code as a PNG `file` (mode 0600)")
	return o
}

// enrollJSON is the PRODUCT.md §4 shape of "user enroll --json".
type enrollJSON struct {
	User      string `json:"user"`
	State     string `json:"state"`
	Secret    string `json:"secret"`
	URI       string `json:"uri"`
	Digits    int    `json:"digits"`
	Period    int    `json:"period"`
	Algorithm string `json:"algorithm"`
}

func userEnroll(ctx context.Context, ss *session, c *command, args []string, flags any, s streams) int {
	o := flags.(*enrollOpts)
	en, err := ss.accounts.Enroll(ctx, args[0], o.force)
	if err != nil {
		return userError(s, args[0], err)
	}
	detail := ""
	if o.force {
		detail = "force"
	}
	audited := ss.audit(ctx, c, s, "enroll", en.User, detail)
	uri := string(en.URI.Bytes())
	if o.qrPNG != "" {
		if err := writeQRPNG(o.qrPNG, uri); err != nil {
			return fail(s.err, "write QR code: %v", err)
		}
	}
	key := otp.EncodeSecret(en.Secret)
	if c.json {
		return worse(printJSON(s, enrollJSON{User: en.User, State: "pending", Secret: key, URI: uri,
			Digits: en.Params.Digits, Period: en.Params.Period, Algorithm: en.Params.Algorithm}), audited)
	}
	fmt.Fprintf(s.out, "User:   %s (pending)\nKey:    %s\nURI:    %s\n\n", en.User, groupsOfFour(key), uri)
	qrterminal.GenerateWithConfig(uri, qrterminal.Config{
		Level: qrterminal.M, Writer: s.out, HalfBlocks: true, QuietZone: 2,
		BlackChar: qrterminal.BLACK_BLACK, WhiteChar: qrterminal.WHITE_WHITE,
		BlackWhiteChar: qrterminal.BLACK_WHITE, WhiteBlackChar: qrterminal.WHITE_BLACK,
	})
	fmt.Fprintf(s.out, "\nScan the QR code or type the key into an authenticator app, then activate with:\n  radiusd user confirm --config %s %s CODE\n", c.config, en.User)
	return audited
}

// writeQRPNG writes the QR code of uri as a PNG readable only by its owner,
// since it holds the secret.
func writeQRPNG(path, uri string) error {
	png, err := qrcode.Encode(uri, qrcode.Medium, 320)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(png); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// groupsOfFour formats a base32 key for typing: "ABCD EFGH …".
func groupsOfFour(key string) string {
	var b strings.Builder
	for i := 0; i < len(key); i += 4 {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(key[i:min(i+4, len(key))])
	}
	return b.String()
}

// codesJSON is the PRODUCT.md §4 shape of "user confirm/codes --json".
type codesJSON struct {
	User          string   `json:"user"`
	RecoveryCodes []string `json:"recovery_codes"`
}

func userConfirm(ctx context.Context, ss *session, c *command, args []string, _ any, s streams) int {
	list, err := ss.accounts.Confirm(ctx, args[0], strings.TrimSpace(args[1]))
	if err != nil {
		return userError(s, args[0], err)
	}
	audited := ss.audit(ctx, c, s, "confirm", ss.name(args[0]), codesDetail(list))
	return worse(printCodes(ss, c, s, args[0], list, "Enrolment confirmed: two-factor authentication is active."), audited)
}

func userCodes(ctx context.Context, ss *session, c *command, args []string, _ any, s streams) int {
	list, err := ss.accounts.NewRecoveryCodes(ctx, args[0])
	if err != nil {
		return userError(s, args[0], err)
	}
	audited := ss.audit(ctx, c, s, "codes", ss.name(args[0]), codesDetail(list))
	return worse(printCodes(ss, c, s, args[0], list, "New recovery codes issued; every unused old code has stopped working."), audited)
}

// codesDetail is the audit detail of a new set of recovery codes: how many
// (never the codes).
func codesDetail(list []string) string { return fmt.Sprintf("%d recovery codes", len(list)) }

// name returns the normalised form of a user name that a successful
// command has already accepted.
func (ss *session) name(user string) string {
	name, _ := ss.accounts.Name(user)
	return name
}

func printCodes(ss *session, c *command, s streams, user string, list []string, headline string) int {
	name := ss.name(user)
	if c.json {
		return printJSON(s, codesJSON{User: name, RecoveryCodes: list})
	}
	fmt.Fprintf(s.out, "%s\nRecovery codes for %s (each works once; shown only now):\n", headline, name)
	for _, rc := range list {
		fmt.Fprintf(s.out, "  %s\n", rc)
	}
	return exitOK
}
