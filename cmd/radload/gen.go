package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/crypto/bcrypt"

	"radiusd/secret"
)

// genConfig is the validated configuration of gen-users.
type genConfig struct {
	count    int
	prefix   string
	seed     string
	csvPath  string
	yamlPath string
	password secret.Value
	cost     int
	groups   []string
}

// parseGenFlags parses and validates the gen-users arguments.
func parseGenFlags(args []string, stderr io.Writer) (genConfig, error) {
	var c genConfig
	var password, passwordFile, groups string
	fs := flag.NewFlagSet("radload gen-users", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&c.count, "count", 0, "number of users to generate (1 … 1000000)")
	fs.StringVar(&c.prefix, "prefix", "u", "user name prefix; names are PREFIX000000, PREFIX000001, …")
	fs.StringVar(&c.seed, "seed", "radload", "seed the TOTP secrets derive from (give run the same)")
	fs.StringVar(&c.csvPath, "csv", "", "write `file` (user,secret,digits,period,algorithm) for radiusd user import; - for stdout")
	fs.StringVar(&c.yamlPath, "users-yaml", "", "write a users.yaml `file` for the file directory; - for stdout")
	fs.StringVar(&password, "password", "", "password every user shares (bcrypt-hashed once)")
	fs.StringVar(&passwordFile, "password-file", "", "read the shared password from `file` (first line)")
	fs.IntVar(&c.cost, "bcrypt-cost", bcrypt.MinCost, "bcrypt cost of the shared hash (4 keeps the server's verify cheap under load)")
	fs.StringVar(&groups, "groups", "radload", "comma-separated groups of every user")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return genConfig{}, errHelp
		}
		return genConfig{}, usageError{err}
	}
	if fs.NArg() > 0 {
		return genConfig{}, usagef("radload gen-users: unexpected argument %q", fs.Arg(0))
	}
	var err error
	if c.password, err = secretFrom("password", password, passwordFile); err != nil {
		return genConfig{}, err
	}
	if groups != "" {
		c.groups = strings.Split(groups, ",")
	}
	return c, c.validate()
}

// validate checks the gen-users configuration.
func (c genConfig) validate() error {
	switch {
	case c.count < 1 || c.count > maxUsers:
		return usagef("radload gen-users: --count %d must be 1 … %d", c.count, maxUsers)
	case !namePattern.MatchString(c.prefix):
		return usagef("radload gen-users: --prefix %q must match %s", c.prefix, namePattern)
	case c.csvPath == "" && c.yamlPath == "":
		return usagef("radload gen-users: give --csv, --users-yaml or both")
	case c.csvPath == "-" && c.yamlPath == "-":
		return usagef("radload gen-users: only one of --csv and --users-yaml can be -")
	case c.cost < bcrypt.MinCost || c.cost > bcrypt.MaxCost:
		return usagef("radload gen-users: --bcrypt-cost %d must be %d … %d", c.cost, bcrypt.MinCost, bcrypt.MaxCost)
	}
	for _, g := range c.groups {
		if !namePattern.MatchString(g) {
			return usagef("radload gen-users: group %q must match %s", g, namePattern)
		}
	}
	return nil
}

// runGenUsers is the gen-users subcommand.
func runGenUsers(args []string, stdout, stderr io.Writer) error {
	cfg, err := parseGenFlags(args, stderr)
	if err != nil {
		return err
	}
	var hash string
	if !cfg.password.IsZero() {
		h, err := bcrypt.GenerateFromPassword(cfg.password.Bytes(), cfg.cost)
		if err != nil {
			return fmt.Errorf("radload: bcrypt: %w", err)
		}
		hash = string(h)
	}
	if cfg.csvPath != "" {
		if err := writeOut(cfg.csvPath, stdout, func(w io.Writer) error { return writeCSV(w, cfg) }); err != nil {
			return err
		}
	}
	if cfg.yamlPath != "" {
		err := writeOut(cfg.yamlPath, stdout, func(w io.Writer) error { return writeUsersYAML(w, cfg, hash) })
		if err != nil {
			return err
		}
	}
	fmt.Fprintf(stderr, "radload: generated %d users %s … %s\n", cfg.count, userName(cfg.prefix, 0), userName(cfg.prefix, cfg.count-1))
	return nil
}

// writeOut runs write on a buffered writer over path (created 0600, as it
// holds secrets), or over stdout when path is "-".
func writeOut(path string, stdout io.Writer, write func(io.Writer) error) error {
	if path == "-" {
		bw := bufio.NewWriter(stdout)
		if err := write(bw); err != nil {
			return err
		}
		return wrapWrite(bw.Flush())
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("radload: create output: %w", err)
	}
	bw := bufio.NewWriter(f)
	err = write(bw)
	if err == nil {
		err = wrapWrite(bw.Flush())
	}
	if cerr := f.Close(); err == nil {
		err = wrapWrite(cerr)
	}
	return err
}

// wrapWrite wraps a write error once.
func wrapWrite(err error) error {
	if err != nil {
		return fmt.Errorf("radload: write output: %w", err)
	}
	return nil
}

// writeCSV writes one line per user: user,secret,digits,period,algorithm
// (no header), the format radiusd user import reads.
func writeCSV(w io.Writer, c genConfig) error {
	for i := range c.count {
		name := userName(c.prefix, i)
		_, err := fmt.Fprintf(w, "%s,%s,%d,%d,%s\n", name, deriveSecret(c.seed, name), totpDigits, totpPeriod, totpAlgorithm)
		if err != nil {
			return wrapWrite(err)
		}
	}
	return nil
}

// writeUsersYAML writes a users.yaml (PRODUCT.md §5) with every user; hash,
// if not empty, is every user's password_hash. Names, groups and bcrypt
// hashes need no escaping inside double quotes.
func writeUsersYAML(w io.Writer, c genConfig, hash string) error {
	groups := "[" + strings.Join(c.groups, ", ") + "]"
	if _, err := fmt.Fprintf(w, "# generated by radload gen-users (%d users)\nusers:\n", c.count); err != nil {
		return wrapWrite(err)
	}
	for i := range c.count {
		entry := fmt.Sprintf("  - name: %s\n", userName(c.prefix, i))
		if hash != "" {
			entry += fmt.Sprintf("    password_hash: %q\n", hash)
		}
		entry += "    groups: " + groups + "\n"
		if _, err := io.WriteString(w, entry); err != nil {
			return wrapWrite(err)
		}
	}
	return nil
}
