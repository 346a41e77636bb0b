// Command radiusd is the two-factor RADIUS server and its admin CLI
// (PRODUCT.md §4). It is the composition root: the only package that
// imports the concrete store and directory drivers.
package main

import (
	"context"
	"io"
	"os"
)

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// Exit statuses (PRODUCT.md §4).
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

// streams are the command's standard input and outputs.
type streams struct {
	in       io.Reader
	out, err io.Writer
}

const usage = `radiusd: a two-factor RADIUS server

Usage:
  radiusd serve                      run the server in the foreground
  radiusd check                      validate the config and reach the store and directory
  radiusd version                    print the version
  radiusd user enroll USER           new pending TOTP secret (--qr-png FILE, --force)
  radiusd user confirm USER CODE     activate a pending enrolment; prints recovery codes once
  radiusd user codes USER            issue a new set of recovery codes; prints them once
  radiusd user reset USER            delete the user's secret and codes
  radiusd user show USER             enrolment state, times, codes left, failures, lockout, policy
  radiusd user list                  one line per known user
  radiusd user unlock USER           clear a lockout
  radiusd user policy USER required|exempt|default
  radiusd user method USER totp|email|sms|default   how the user gets codes (email/sms: messages in the config)
  radiusd user import FILE           import TOTP secrets (CSV or JSON lines; "-" is stdin)
  radiusd audit                      list admin actions, newest first (--user NAME, --actor NAME, --limit N)
  radiusd store copy                 copy every user and the audit trail to another config's empty store (--from-config, --to-config)
  radiusd hash-password              read a password from stdin, print a bcrypt hash (--cost N)

Every command takes --config FILE (default radiusd.yaml); commands that print
data take --json. Exit status: 0 success, 1 failure, 2 usage error.
Run "radiusd COMMAND --help" for the flags of a command.
`

// run executes one command line and returns the exit status.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	s := streams{in: stdin, out: stdout, err: stderr}
	if len(args) == 0 {
		io.WriteString(stderr, usage)
		return exitUsage
	}
	switch args[0] {
	case "serve":
		return cmdServe(ctx, args[1:], s)
	case "check":
		return cmdCheck(ctx, args[1:], s)
	case "version":
		return cmdVersion(args[1:], s)
	case "user":
		return cmdUser(ctx, args[1:], s)
	case "audit":
		return cmdAudit(ctx, args[1:], s)
	case "store":
		return cmdStore(ctx, args[1:], s)
	case "hash-password":
		return cmdHashPassword(args[1:], s)
	case "help", "-h", "--help", "-help":
		io.WriteString(stdout, usage)
		return exitOK
	default:
		io.WriteString(stderr, "radiusd: unknown command "+quote(args[0])+"\n\n"+usage)
		return exitUsage
	}
}
