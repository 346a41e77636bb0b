package main

import (
	"context"
	"errors"
	"fmt"
	"text/tabwriter"
	"time"

	"radiusd/config"
	"radiusd/store"
)

// showJSON is the PRODUCT.md §4 shape of "user show --json".
type showJSON struct {
	User              string  `json:"user"`
	State             string  `json:"state"`
	RecoveryCodesLeft int     `json:"recovery_codes_left"`
	Failures          int     `json:"failures"`
	LockedUntil       *string `json:"locked_until"`
	Policy            string  `json:"policy"`
	Method            string  `json:"method"`
	LastUsed          *string `json:"last_used"`
	EnrolledAt        *string `json:"enrolled_at"`
}

func toShow(u store.User, now time.Time) showJSON {
	locked := u.LockedUntil
	if !locked.After(now) {
		locked = time.Time{}
	}
	return showJSON{
		User: u.Name, State: string(u.State), RecoveryCodesLeft: u.RecoveryLeft, Failures: u.Failures,
		LockedUntil: timeOrNil(locked), Policy: string(u.Policy), Method: string(u.Method), LastUsed: timeOrNil(u.LastUsed),
		EnrolledAt: timeOrNil(u.EnrolledAt),
	}
}

func timeOrNil(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := t.UTC().Format(time.RFC3339)
	return &s
}

func orDash(p *string) string {
	if p == nil {
		return "-"
	}
	return *p
}

// lookup returns the store's record of user; a user the store has never
// seen is shown with state none.
func (ss *session) lookup(ctx context.Context, user string) (store.User, error) {
	name, err := ss.accounts.Name(user)
	if err != nil {
		return store.User{}, err
	}
	u, err := ss.backend.store.Get(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		return store.User{Name: name, State: store.StateNone, Policy: store.PolicyDefault}, nil
	}
	return u, err
}

func userShow(ctx context.Context, ss *session, c *command, args []string, _ any, s streams) int {
	u, err := ss.lookup(ctx, args[0])
	if err != nil {
		return userError(s, args[0], err)
	}
	v := toShow(u, time.Now())
	if c.json {
		return printJSON(s, v)
	}
	tw := tabwriter.NewWriter(s.out, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "user:\t%s\nstate:\t%s\nenrolled_at:\t%s\nlast_used:\t%s\nrecovery_codes_left:\t%d\nfailures:\t%d\nlocked_until:\t%s\npolicy:\t%s\nmethod:\t%s\n",
		v.User, v.State, orDash(v.EnrolledAt), orDash(v.LastUsed), v.RecoveryCodesLeft, v.Failures, orDash(v.LockedUntil), v.Policy, v.Method)
	tw.Flush()
	return exitOK
}

func userList(ctx context.Context, ss *session, c *command, _ []string, _ any, s streams) int {
	users, err := ss.backend.store.List(ctx)
	if err != nil {
		return fail(s.err, "%v", err)
	}
	now := time.Now()
	list := make([]showJSON, 0, len(users))
	for _, u := range users {
		list = append(list, toShow(u, now))
	}
	if c.json {
		return printJSON(s, list)
	}
	tw := tabwriter.NewWriter(s.out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "USER\tSTATE\tPOLICY\tCODES_LEFT\tFAILURES\tLOCKED_UNTIL\tLAST_USED\tENROLLED_AT")
	for _, v := range list {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%s\t%s\t%s\n", v.User, v.State, v.Policy, v.RecoveryCodesLeft,
			v.Failures, orDash(v.LockedUntil), orDash(v.LastUsed), orDash(v.EnrolledAt))
	}
	tw.Flush()
	return exitOK
}

// resultJSON reports a change to one user.
type resultJSON struct {
	User   string `json:"user"`
	Action string `json:"action"`
	Policy string `json:"policy,omitempty"`
	Method string `json:"method,omitempty"`
}

func userReset(ctx context.Context, ss *session, c *command, args []string, _ any, s streams) int {
	return change(ctx, ss, c, s, args[0], "reset", "", func(name string) error { return ss.backend.store.Reset(ctx, name) },
		"%s reset: secret and recovery codes deleted; the user must enroll again\n")
}

func userUnlock(ctx context.Context, ss *session, c *command, args []string, _ any, s streams) int {
	return change(ctx, ss, c, s, args[0], "unlock", "", func(name string) error { return ss.backend.store.Unlock(ctx, name) },
		"%s unlocked\n")
}

func userPolicy(ctx context.Context, ss *session, c *command, args []string, _ any, s streams) int {
	p := store.Policy(args[1])
	if p != store.PolicyRequired && p != store.PolicyExempt && p != store.PolicyDefault {
		fmt.Fprintf(s.err, "radiusd user policy: %s is not one of required, exempt, default\n", quote(args[1]))
		return exitUsage
	}
	return change(ctx, ss, c, s, args[0], "policy", string(p), func(name string) error {
		return ss.backend.store.SetPolicy(ctx, name, p, time.Now())
	}, "%s policy set to "+string(p)+"\n")
}

func userMethod(ctx context.Context, ss *session, c *command, args []string, _ any, s streams) int {
	m := store.Method(args[1])
	switch m {
	case store.MethodTOTP, store.MethodDefault:
	case store.MethodEmail, store.MethodSMS:
		if !methodConfigured(ss.cfg, m) {
			return fail(s.err, "user method: %s is not configured (messages.%s in %s)", m, m, c.config)
		}
	default:
		fmt.Fprintf(s.err, "radiusd user method: %s is not one of totp, email, sms, default\n", quote(args[1]))
		return exitUsage
	}
	return change(ctx, ss, c, s, args[0], "method", string(m), func(name string) error {
		return ss.backend.store.SetMethod(ctx, name, m, time.Now())
	}, "%s method set to "+string(m)+"\n")
}

// methodConfigured reports whether the config can send codes by m.
func methodConfigured(cfg *config.Config, m store.Method) bool {
	if m == store.MethodEmail {
		return cfg.Messages.Email.Enabled()
	}
	return cfg.Messages.SMS.Enabled()
}

// change applies one admin action to a user, records it in the audit
// trail (value as the detail) and reports it.
func change(ctx context.Context, ss *session, c *command, s streams, user, action, value string, apply func(name string) error, text string) int {
	name, err := ss.accounts.Name(user)
	if err != nil {
		return userError(s, user, err)
	}
	if err := apply(name); err != nil && !errors.Is(err, store.ErrNotFound) {
		return userError(s, user, err)
	}
	audited := ss.audit(ctx, c, s, action, name, value)
	if c.json {
		r := resultJSON{User: name, Action: action}
		if action == "method" {
			r.Method = value
		} else {
			r.Policy = value
		}
		return worse(printJSON(s, r), audited)
	}
	fmt.Fprintf(s.out, text, name)
	return audited
}
