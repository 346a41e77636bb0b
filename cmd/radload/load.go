package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"strings"
	"sync"
	"time"

	"radiusd/secret"
)

// Bounds of a run.
const (
	defaultDuration = 10 * time.Second
	maxDuration     = 15 * time.Minute
	maxConcurrency  = 4096
)

// runConfig is the parsed and validated configuration of one run.
type runConfig struct {
	server      string
	secret      secret.Value
	password    secret.Value
	scenario    string
	concurrency int
	duration    time.Duration
	maxRequests uint64
	users       int
	firstUser   int
	prefix      string
	seed        string
	timeout     time.Duration
	retries     int
	replays     int
	resends     int
	serverPID   int
	rate        float64 // total requests (iterations) per second; 0: closed loop
	stepsBack   int     // TOTP steps before the current one whose codes may be sent
	stepsAhead  int     // TOTP steps after the current one whose codes may be sent
	metricsURL  string
	rssSeries   bool
	json        bool
	strict      bool
	allowRemote bool
	now         func() time.Time // clock for TOTP steps
	procRoot    string           // normally /proc
}

// runFlags holds the raw flag values before validation.
type runFlags struct {
	cfg                    runConfig
	secret, secretFile     string
	password, passwordFile string
	maxRequests            int64
}

// parseRunFlags parses and validates the run subcommand's arguments.
func parseRunFlags(args []string, stderr io.Writer) (runConfig, error) {
	var f runFlags
	fs := flag.NewFlagSet("radload run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	c := &f.cfg
	fs.StringVar(&c.server, "server", "127.0.0.1:1812", "server `host:port` (loopback unless --allow-remote)")
	fs.StringVar(&f.secret, "secret", "", "RADIUS shared `secret` (prefer --secret-file)")
	fs.StringVar(&f.secretFile, "secret-file", "", "read the shared secret from `file` (first line)")
	fs.StringVar(&c.scenario, "scenario", scenCode, "one of "+strings.Join(scenarioNames, ", "))
	fs.IntVar(&c.concurrency, "concurrency", 32, "workers, each with its own socket and one request in flight")
	fs.DurationVar(&c.duration, "duration", defaultDuration, "run time (at most 15m)")
	fs.Int64Var(&f.maxRequests, "max-requests", 0, "stop after this many requests (0: no limit)")
	fs.IntVar(&c.users, "users", 1000, "number of generated users to use (as in gen-users --count)")
	fs.IntVar(&c.firstUser, "first-user", 0, "number of the first user to use (a fresh range avoids codes spent by a recent run)")
	fs.StringVar(&c.prefix, "prefix", "u", "user name prefix (as in gen-users)")
	fs.StringVar(&c.seed, "seed", "radload", "seed the TOTP secrets derive from (as in gen-users)")
	fs.StringVar(&f.password, "password", "", "users' password, sent before the code (password-code, password; optional for reject, replay, duplicate, mixed)")
	fs.StringVar(&f.passwordFile, "password-file", "", "read the users' password from `file` (first line)")
	fs.DurationVar(&c.timeout, "timeout", time.Second, "wait this long for each reply")
	fs.IntVar(&c.retries, "retries", 0, "retransmit the identical packet this many times after a timeout")
	fs.IntVar(&c.replays, "replays", 5, "replay scenario: replays of each accepted code")
	fs.IntVar(&c.resends, "resends", 10, "duplicate scenario: identical resends of each request")
	fs.Float64Var(&c.rate, "rate", 0, "open loop: start this many requests per second in all, spread over the workers (0: closed loop)")
	fs.IntVar(&c.stepsBack, "steps-back", 1, "send codes of at most this many time steps before the current one (0 or 1)")
	fs.IntVar(&c.stepsAhead, "steps-ahead", 1, "send codes of at most this many time steps after the current one (0 or 1; 0 and 0 for FreeRADIUS 3.2.1 rlm_totp)")
	fs.StringVar(&c.metricsURL, "metrics-url", "", "scrape this Prometheus `URL` (loopback) at the start and end of the run")
	fs.IntVar(&c.serverPID, "server-pid", 0, "sample this process's CPU time and memory from /proc")
	fs.BoolVar(&c.rssSeries, "rss-series", false, "print the server's RSS sampled every second")
	fs.BoolVar(&c.json, "json", false, "print the report as JSON")
	fs.BoolVar(&c.strict, "strict", false, "exit 1 if any request timed out, was invalid or unexpected")
	fs.BoolVar(&c.allowRemote, "allow-remote", false, "allow a non-loopback server (only a server you run)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return runConfig{}, errHelp
		}
		return runConfig{}, usageError{err}
	}
	if fs.NArg() > 0 {
		return runConfig{}, usagef("radload run: unexpected argument %q", fs.Arg(0))
	}
	return f.finish()
}

// finish reads the secret files and validates the configuration.
func (f *runFlags) finish() (runConfig, error) {
	c := f.cfg
	c.now, c.procRoot = time.Now, "/proc"
	c.maxRequests = uint64(max(f.maxRequests, 0))
	var err error
	if c.secret, err = secretFrom("secret", f.secret, f.secretFile); err != nil {
		return runConfig{}, err
	}
	if c.password, err = secretFrom("password", f.password, f.passwordFile); err != nil {
		return runConfig{}, err
	}
	if c.secret.IsZero() {
		return runConfig{}, usagef("radload run: --secret or --secret-file is required")
	}
	if f.maxRequests < 0 {
		return runConfig{}, usagef("radload run: --max-requests must not be negative")
	}
	return c, c.validate()
}

// secretFrom returns the value of a --name or --name-file flag pair.
func secretFrom(name, value, file string) (secret.Value, error) {
	switch {
	case value != "" && file != "":
		return secret.Value{}, usagef("radload: give --%s or --%s-file, not both", name, name)
	case file == "":
		return secret.New([]byte(value)), nil
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return secret.Value{}, fmt.Errorf("radload: read --%s-file: %w", name, err)
	}
	line, _, _ := strings.Cut(string(b), "\n")
	return secret.New([]byte(strings.TrimSuffix(line, "\r"))), nil
}

// validate checks the bounds of a run configuration.
func (c runConfig) validate() error {
	switch {
	case c.duration <= 0 || c.duration > maxDuration:
		return usagef("radload run: --duration %s must be above 0 and at most %s", c.duration, maxDuration)
	case c.concurrency < 1 || c.concurrency > maxConcurrency:
		return usagef("radload run: --concurrency %d must be 1 … %d", c.concurrency, maxConcurrency)
	case c.users < 1 || c.firstUser < 0 || c.firstUser+c.users > maxUsers:
		return usagef("radload run: --first-user %d + --users %d must stay within 0 … %d", c.firstUser, c.users, maxUsers)
	case !namePattern.MatchString(c.prefix):
		return usagef("radload run: --prefix %q must match %s", c.prefix, namePattern)
	case c.timeout <= 0 || c.retries < 0 || c.replays < 0 || c.resends < 0:
		return usagef("radload run: --timeout must be positive; --retries, --replays, --resends not negative")
	case (c.scenario == scenPasswordCode || c.scenario == scenPassword) && c.password.IsZero():
		return usagef("radload run: scenario %s needs --password or --password-file", c.scenario)
	case c.serverPID < 0:
		return usagef("radload run: --server-pid must be positive")
	case !(c.rate >= 0 && c.rate <= maxRate): // also refuses NaN
		return usagef("radload run: --rate %g must be 0 … %d", c.rate, maxRate)
	case c.stepsBack < 0 || c.stepsBack > 1 || c.stepsAhead < 0 || c.stepsAhead > 1:
		return usagef("radload run: --steps-back %d and --steps-ahead %d must be 0 or 1", c.stepsBack, c.stepsAhead)
	case c.metricsURL != "":
		return checkMetricsURL(c.metricsURL, c.allowRemote)
	}
	return nil
}

// resolveServer resolves addr and refuses a non-loopback address unless
// allowRemote is set: radload is for load-testing one's own server.
func resolveServer(addr string, allowRemote bool) (*net.UDPAddr, error) {
	ua, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		return nil, usageError{fmt.Errorf("radload: --server: %w", err)}
	}
	if !allowRemote && !isLoopback(ua.IP) {
		return nil, usagef("radload: refusing non-loopback server %s (give --allow-remote only for a server you run)", addr)
	}
	return ua, nil
}

// isLoopback reports whether ip is in 127.0.0.0/8 or is ::1 (an
// IPv4-mapped loopback address counts too). A missing IP is not loopback.
func isLoopback(ip net.IP) bool {
	a, ok := netip.AddrFromSlice(ip)
	return ok && a.Unmap().IsLoopback()
}

// runLoad is the run subcommand.
func runLoad(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, err := parseRunFlags(args, stderr)
	if err != nil {
		return err
	}
	rep, err := execute(ctx, cfg)
	if err != nil {
		return err
	}
	if err := rep.write(stdout, cfg.json); err != nil {
		return err
	}
	if cfg.strict && rep.Timeouts+rep.Invalid+rep.Unexpected+rep.Errors > 0 {
		return errStrict
	}
	return nil
}

// execute runs the load described by cfg and returns its report.
func execute(ctx context.Context, cfg runConfig) (*report, error) {
	raddr, err := resolveServer(cfg.server, cfg.allowRemote)
	if err != nil {
		return nil, err
	}
	r, err := newRunner(cfg)
	if err != nil {
		return nil, err
	}
	workers, err := dialWorkers(cfg, raddr, r.budget)
	if err != nil {
		return nil, err
	}
	defer closeWorkers(workers)
	probe, err := startMetrics(ctx, cfg)
	if err != nil {
		return nil, err
	}
	mon, err := startMonitor(cfg)
	if err != nil {
		return nil, err
	}
	elapsed, err := r.drive(ctx, workers)
	srv := mon.stop(cfg.rssSeries)
	if err != nil {
		return nil, err
	}
	rep := newReport(cfg, workers, elapsed, srv)
	rep.Metrics = probe.stop(ctx)
	if r.pace != nil {
		rep.Rate = r.pace.report(mergeCounts(workers))
	}
	return rep, nil
}

// dialWorkers opens one connected UDP socket per worker; all of them share
// the request budget b.
func dialWorkers(cfg runConfig, raddr *net.UDPAddr, b *budget) ([]*worker, error) {
	workers := make([]*worker, 0, cfg.concurrency)
	for i := range cfg.concurrency {
		conn, err := net.DialUDP("udp", nil, raddr)
		if err != nil {
			closeWorkers(workers)
			return nil, fmt.Errorf("radload: dial %s: %w", raddr, err)
		}
		w, err := newWorker(conn, cfg.secret.Bytes(), cfg.timeout, cfg.retries, b)
		if err != nil {
			_ = conn.Close()
			closeWorkers(workers)
			return nil, err
		}
		w.mix.slot = i % len(mixPattern)
		workers = append(workers, w)
	}
	return workers, nil
}

// closeWorkers closes every worker's socket.
func closeWorkers(workers []*worker) {
	for _, w := range workers {
		_ = w.conn.Close()
	}
}

// drive runs every worker until the duration ends or the budget is spent,
// and returns the wall time from start until the last worker stopped.
func (r *runner) drive(ctx context.Context, workers []*worker) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, r.cfg.duration)
	defer cancel()
	errs := make([]error, len(workers))
	var wg sync.WaitGroup
	start := time.Now()
	stopPacer := r.startPacer(ctx, start)
	for i, w := range workers {
		wg.Go(func() { errs[i] = r.work(ctx, w) })
	}
	wg.Wait()
	elapsed := time.Since(start)
	stopPacer()
	for _, err := range errs {
		if err != nil {
			return elapsed, err
		}
	}
	return elapsed, nil
}
