package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/jackc/pgx/v5/pgconn"

	"radiusd/config"
	"radiusd/store"
)

const storeUsage = `Usage: radiusd store copy --from-config FILE --to-config FILE [--json]

Copies every user's enrolment, recovery codes, replay record, lockout,
policy and grace start from the store of one configuration into the empty
store of another (for example from SQLite to PostgreSQL). Stop the servers
that use the source store first, so that nothing changes during the copy.
`

// copySummary is what store copy reports.
type copySummary struct {
	From          string              `json:"from"`
	To            string              `json:"to"`
	Users         int                 `json:"users"`
	ByState       map[store.State]int `json:"by_state"`
	RecoveryCodes int                 `json:"recovery_codes"`
}

func cmdStore(ctx context.Context, args []string, s streams) int {
	if len(args) == 0 || args[0] != "copy" {
		if len(args) > 0 && (args[0] == "help" || args[0] == "--help" || args[0] == "-h") {
			io.WriteString(s.out, storeUsage)
			return exitOK
		}
		io.WriteString(s.err, storeUsage)
		return exitUsage
	}
	c := newCommand("store copy", "store copy --from-config FILE --to-config FILE [--json]", true, s)
	var from, to string
	c.fs.StringVar(&from, "from-config", "", "configuration `file` of the source store")
	c.fs.StringVar(&to, "to-config", "", "configuration `file` of the destination store (must be empty)")
	if _, code, ok := c.parse(args[1:], 0, s); !ok {
		return code
	}
	if from == "" || to == "" {
		fmt.Fprintln(s.err, "radiusd store copy: --from-config and --to-config are required")
		c.fs.Usage()
		return exitUsage
	}
	sum, err := copyStore(ctx, from, to)
	if err != nil {
		return fail(s.err, "store copy: %v", err)
	}
	if c.json {
		return printJSON(s, sum)
	}
	fmt.Fprintf(s.out, "copied %d users (active %d, pending %d, none %d) and %d unused recovery codes\nfrom %s\nto   %s\n",
		sum.Users, sum.ByState[store.StateActive], sum.ByState[store.StatePending], sum.ByState[store.StateNone],
		sum.RecoveryCodes, sum.From, sum.To)
	return exitOK
}

// copyStore copies every record from the store of the config at fromPath
// into the empty store of the config at toPath, then checks the count.
func copyStore(ctx context.Context, fromPath, toPath string) (copySummary, error) {
	src, srcCfg, err := openStoreOf(ctx, fromPath, false)
	if err != nil {
		return copySummary{}, err
	}
	defer src.store.Close()
	dst, dstCfg, err := openStoreOf(ctx, toPath, true)
	if err != nil {
		return copySummary{}, err
	}
	defer dst.store.Close()
	sum := copySummary{From: describeStore(srcCfg), To: describeStore(dstCfg), ByState: map[store.State]int{}}
	if sum.From == sum.To {
		return copySummary{}, errors.New("source and destination are the same store")
	}
	if users, err := dst.store.List(ctx); err != nil {
		return copySummary{}, fmt.Errorf("destination: %w", err)
	} else if len(users) > 0 {
		return copySummary{}, fmt.Errorf("destination store already has %d users; copy only into an empty store", len(users))
	}
	err = src.store.Export(ctx, func(r store.Record) error {
		if err := dst.store.Restore(ctx, r); err != nil {
			return fmt.Errorf("user %s: %w", quote(r.User.Name), err)
		}
		sum.Users++
		sum.ByState[r.User.State]++
		sum.RecoveryCodes += len(r.Recovery)
		return nil
	})
	if err != nil {
		return copySummary{}, err
	}
	copied, err := dst.store.List(ctx)
	if err != nil {
		return copySummary{}, fmt.Errorf("destination: %w", err)
	}
	if len(copied) != sum.Users {
		return copySummary{}, fmt.Errorf("destination has %d users after copying %d", len(copied), sum.Users)
	}
	return sum, nil
}

// openStoreOf loads the config at path and opens its store. The source's
// key file must exist: a new one would not decrypt its secrets.
func openStoreOf(ctx context.Context, path string, create bool) (*backend, *config.Config, error) {
	cfg, err := config.Load(path)
	if err != nil {
		return nil, nil, fmt.Errorf("%s:\n%s", path, indent(err.Error()))
	}
	if _, err := os.Stat(cfg.Store.KeyFile); !create && errors.Is(err, fs.ErrNotExist) {
		return nil, nil, fmt.Errorf("%s: key file %s does not exist", path, cfg.Store.KeyFile)
	}
	b, err := openBackend(ctx, cfg)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	return b, cfg, nil
}

// describeStore names a config's store without any secret.
func describeStore(cfg *config.Config) string {
	if cfg.Store.Driver == "postgres" {
		return "postgres " + redactedDSN(cfg.Store.ConnString)
	}
	return "sqlite " + cfg.Store.Path
}

// redactedDSN names a PostgreSQL database as user@host:port/database,
// without a password or any other setting.
func redactedDSN(dsn config.Secret) string {
	c, err := pgconn.ParseConfig(string(dsn.Value().Bytes()))
	if err != nil {
		return "(unparsable connection string)"
	}
	return fmt.Sprintf("%s@%s:%d/%s", c.User, c.Host, c.Port, c.Database)
}
