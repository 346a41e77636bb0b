package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"radiusd/auth"
	"radiusd/config"
	"radiusd/store"
)

const userUsage = `Usage: radiusd user COMMAND [flags] ARGS

Commands: enroll, confirm, codes, reset, show, list, unlock, policy, method, import.
Run "radiusd user COMMAND --help" for its flags.
`

// session is what every user subcommand works with.
type session struct {
	cfg      *config.Config
	backend  *backend
	accounts *auth.Accounts
}

// open loads the config and opens the store for a user subcommand.
func open(ctx context.Context, c *command, s streams) (*session, int) {
	cfg, err := config.Load(c.config)
	if err != nil {
		return nil, fail(s.err, "%s:\n%s", c.config, indent(err.Error()))
	}
	b, err := openBackend(ctx, cfg)
	if err != nil {
		return nil, fail(s.err, "%v", err)
	}
	acc, err := newAccounts(cfg, b)
	if err != nil {
		b.store.Close()
		return nil, fail(s.err, "%v", err)
	}
	return &session{cfg: cfg, backend: b, accounts: acc}, exitOK
}

func (ss *session) close() { ss.backend.store.Close() }

// userCommand is one "radiusd user" subcommand.
type userCommand struct {
	synopsis string
	args     int
	json     bool
	flags    func(c *command) any
	run      func(ctx context.Context, ss *session, c *command, args []string, flags any, s streams) int
}

var userCommands = map[string]userCommand{
	"enroll":  {synopsis: "user enroll [--config FILE] [--json] [--force] [--qr-png FILE] USER", args: 1, json: true, flags: enrollFlags, run: userEnroll},
	"confirm": {synopsis: "user confirm [--config FILE] [--json] USER CODE", args: 2, json: true, run: userConfirm},
	"codes":   {synopsis: "user codes [--config FILE] [--json] USER", args: 1, json: true, run: userCodes},
	"reset":   {synopsis: "user reset [--config FILE] [--json] USER", args: 1, json: true, run: userReset},
	"show":    {synopsis: "user show [--config FILE] [--json] USER", args: 1, json: true, run: userShow},
	"list":    {synopsis: "user list [--config FILE] [--json]", args: 0, json: true, run: userList},
	"unlock":  {synopsis: "user unlock [--config FILE] [--json] USER", args: 1, json: true, run: userUnlock},
	"policy":  {synopsis: "user policy [--config FILE] [--json] USER required|exempt|default", args: 2, json: true, run: userPolicy},
	"method":  {synopsis: "user method [--config FILE] [--json] USER totp|email|sms|default", args: 2, json: true, run: userMethod},
	"import":  {synopsis: "user import [--config FILE] [--json] [--force] [--skip-errors] FILE", args: 1, json: true, flags: importFlags, run: userImport},
}

func cmdUser(ctx context.Context, args []string, s streams) int {
	if len(args) == 0 {
		io.WriteString(s.err, userUsage)
		return exitUsage
	}
	uc, ok := userCommands[args[0]]
	if !ok {
		if args[0] == "help" || args[0] == "--help" || args[0] == "-h" {
			io.WriteString(s.out, userUsage)
			return exitOK
		}
		fmt.Fprintf(s.err, "radiusd user: unknown command %s\n\n%s", quote(args[0]), userUsage)
		return exitUsage
	}
	c := newCommand("user "+args[0], uc.synopsis, uc.json, s)
	var flags any
	if uc.flags != nil {
		flags = uc.flags(c)
	}
	pos, code, ok := c.parse(args[1:], uc.args, s)
	if !ok {
		return code
	}
	ss, code := open(ctx, c, s)
	if ss == nil {
		return code
	}
	defer ss.close()
	return uc.run(ctx, ss, c, pos, flags, s)
}

// userError prints a user subcommand's error in terms an admin can act on.
func userError(s streams, user string, err error) int {
	switch {
	case errors.Is(err, auth.ErrBadName):
		return fail(s.err, "%s is not a valid user name", quote(user))
	case errors.Is(err, store.ErrExists):
		return fail(s.err, "%s is already enrolled; use --force to replace the secret", quote(user))
	case errors.Is(err, store.ErrNotPending):
		return fail(s.err, "%s has no pending enrolment; run: radiusd user enroll %s", quote(user), user)
	case errors.Is(err, store.ErrNotFound):
		return fail(s.err, "%s is not enrolled", quote(user))
	case errors.Is(err, auth.ErrWrongCode):
		return fail(s.err, "the code does not match %s's pending secret (check the phone's clock)", quote(user))
	default:
		return fail(s.err, "%v", err)
	}
}
