// Command radload is a RADIUS load generator for benchmarking radiusd (or
// another RADIUS server) on the machine it runs on, in a closed loop or at
// a fixed rate. It generates deterministic test users (gen-users) and
// drives a server with one of several scenarios (run), reporting
// throughput, outcome counts, latency percentiles and, given the server's
// pid or metrics URL, its CPU time, memory and goroutines.
//
// It builds alone: it must not import any radiusd package other than
// radiusd/secret (no radiussrv, auth, store, directory or config), so it can
// benchmark any revision of the server.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

const usageText = `radload: RADIUS load generator, closed or open loop (loopback only by default)

usage:
  radload gen-users --count N [--prefix u] [--seed S] [--csv users.csv] [--users-yaml users.yaml]
                    [--password PW | --password-file F] [--bcrypt-cost 4] [--groups radload]
  radload run --secret S | --secret-file F [--server 127.0.0.1:1812] [--scenario code]
              [--concurrency 32] [--duration 10s] [--max-requests N] [--users N] [--first-user K] [--prefix u] [--seed S]
              [--password PW | --password-file F] [--timeout 1s] [--retries 0] [--rate 0] [--steps-ahead 1]
              [--server-pid PID] [--rss-series] [--metrics-url URL] [--json] [--strict] [--allow-remote]

scenarios: code, password-code, reject, replay, status, duplicate, password, mixed
run "radload gen-users -h" or "radload run -h" for every flag.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run dispatches a subcommand and returns the exit status: 0 success,
// 1 runtime failure, 2 usage error.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usageText)
		return 2
	}
	var err error
	switch args[0] {
	case "gen-users":
		err = runGenUsers(args[1:], stdout, stderr)
	case "run":
		err = runLoad(ctx, args[1:], stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usageText)
		return 0
	default:
		fmt.Fprintf(stderr, "radload: unknown command %q\n%s", args[0], usageText)
		return 2
	}
	return exitCode(err, stderr)
}

// usageError marks an error as a command-line mistake (exit status 2).
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// usagef returns a usageError with a formatted message.
func usagef(format string, a ...any) error {
	return usageError{fmt.Errorf(format, a...)}
}

// errHelp is returned when -h was asked for; the flag package printed the help.
var errHelp = errors.New("radload: help requested")

// errStrict is returned by run --strict when the run saw failures.
var errStrict = errors.New("radload: run had timeouts, invalid or unexpected replies")

// exitCode maps err to an exit status and prints it.
func exitCode(err error, stderr io.Writer) int {
	var ue usageError
	switch {
	case err == nil, errors.Is(err, errHelp):
		return 0
	case errors.As(err, &ue):
		fmt.Fprintln(stderr, err)
		return 2
	default:
		fmt.Fprintln(stderr, err)
		return 1
	}
}
