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
policy and grace start, and the audit trail, from the store of one
configuration into the empty store of another (for example from SQLite to
PostgreSQL). Stop the servers
that use the source store first, so that nothing changes during the copy.
Both stores use the source's key file: a destination key file that does not
exist yet is written with it; one that holds another key is refused.
`

// copySummary is what store copy reports.
type copySummary struct {
	From          string              `json:"from"`
	To            string              `json:"to"`
	Users         int                 `json:"users"`
	ByState       map[store.State]int `json:"by_state"`
	RecoveryCodes int                 `json:"recovery_codes"`
	AuditEntries  int                 `json:"audit_entries"`
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
	fmt.Fprintf(s.out, "copied %d users (active %d, pending %d, none %d), %d unused recovery codes and %d audit entries\nfrom %s\nto   %s\n",
		sum.Users, sum.ByState[store.StateActive], sum.ByState[store.StatePending], sum.ByState[store.StateNone],
		sum.RecoveryCodes, sum.AuditEntries, sum.From, sum.To)
	return exitOK
}

// copyStore copies every record from the store of the config at fromPath
// into the empty store of the config at toPath, then checks the count.
func copyStore(ctx context.Context, fromPath, toPath string) (copySummary, error) {
	srcCfg, err := loadConfig(fromPath)
	if err != nil {
		return copySummary{}, err
	}
	dstCfg, err := loadConfig(toPath)
	if err != nil {
		return copySummary{}, err
	}
	sum := copySummary{From: describeStore(srcCfg), To: describeStore(dstCfg), ByState: map[store.State]int{}}
	if sum.From == sum.To {
		return copySummary{}, errors.New("source and destination are the same store")
	}
	if err := shareKey(srcCfg.Store.KeyFile, dstCfg.Store.KeyFile); err != nil {
		return copySummary{}, err
	}
	src, err := openBackend(ctx, srcCfg)
	if err != nil {
		return copySummary{}, fmt.Errorf("%s: %w", fromPath, err)
	}
	defer src.store.Close()
	dst, err := openBackend(ctx, dstCfg)
	if err != nil {
		return copySummary{}, fmt.Errorf("%s: %w", toPath, err)
	}
	defer dst.store.Close()
	if err := checkEmpty(ctx, dst.store); err != nil {
		return copySummary{}, err
	}
	if err := copyRecords(ctx, src.store, dst.store, &sum); err != nil {
		return copySummary{}, err
	}
	if err := copyAudit(ctx, src.store, dst.store, &sum); err != nil {
		return copySummary{}, err
	}
	return sum, nil
}

// checkEmpty refuses a destination that has users or audit entries.
func checkEmpty(ctx context.Context, dst storeDriver) error {
	if users, err := dst.List(ctx); err != nil {
		return fmt.Errorf("destination: %w", err)
	} else if len(users) > 0 {
		return fmt.Errorf("destination store already has %d users; copy only into an empty store", len(users))
	}
	if entries, err := dst.ListAudit(ctx, store.AuditQuery{Limit: 1}); err != nil {
		return fmt.Errorf("destination: %w", err)
	} else if len(entries) > 0 {
		return errors.New("destination store already has an audit trail; copy only into an empty store")
	}
	return nil
}

// copyRecords restores every record of src into the empty dst, counting
// them in sum, and checks that dst then holds as many users.
func copyRecords(ctx context.Context, src, dst storeDriver, sum *copySummary) error {
	err := src.Export(ctx, func(r store.Record) error {
		if err := dst.Restore(ctx, r); err != nil {
			return fmt.Errorf("user %s: %w", quote(r.User.Name), err)
		}
		sum.Users++
		sum.ByState[r.User.State]++
		sum.RecoveryCodes += len(r.Recovery)
		return nil
	})
	if err != nil {
		return err
	}
	copied, err := dst.List(ctx)
	if err != nil {
		return fmt.Errorf("destination: %w", err)
	}
	if len(copied) != sum.Users {
		return fmt.Errorf("destination has %d users after copying %d", len(copied), sum.Users)
	}
	return nil
}

// auditBatch is how many audit entries one RestoreAudit carries.
const auditBatch = 500

// copyAudit appends every audit entry of src to dst, oldest first, with
// their times (dst numbers them anew, in the same order), counting them in
// sum, and checks that dst then holds as many.
func copyAudit(ctx context.Context, src, dst storeDriver, sum *copySummary) error {
	batch := make([]store.AuditEntry, 0, auditBatch)
	flush := func() error {
		if err := dst.RestoreAudit(ctx, batch); err != nil {
			return fmt.Errorf("audit trail: %w", err)
		}
		sum.AuditEntries += len(batch)
		batch = batch[:0]
		return nil
	}
	err := src.ExportAudit(ctx, func(e store.AuditEntry) error {
		if batch = append(batch, e); len(batch) < auditBatch {
			return nil
		}
		return flush()
	})
	if err == nil {
		err = flush()
	}
	if err != nil {
		return err
	}
	n, err := countAudit(ctx, dst)
	if err != nil {
		return fmt.Errorf("destination: %w", err)
	}
	if n != sum.AuditEntries {
		return fmt.Errorf("destination has %d audit entries after copying %d", n, sum.AuditEntries)
	}
	return nil
}

// countAudit counts the entries of st's audit trail, a page at a time.
func countAudit(ctx context.Context, st storeDriver) (int, error) {
	n := 0
	q := store.AuditQuery{Limit: store.MaxAuditLimit}
	for {
		page, err := st.ListAudit(ctx, q)
		if err != nil {
			return 0, err
		}
		n += len(page)
		if len(page) < q.Limit {
			return n, nil
		}
		q.Before = page[len(page)-1].ID
	}
}

// loadConfig loads one of store copy's configurations.
func loadConfig(path string) (*config.Config, error) {
	cfg, err := config.Load(path)
	if err != nil {
		return nil, fmt.Errorf("%s:\n%s", path, indent(err.Error()))
	}
	return cfg, nil
}

// shareKey makes the destination use the source's key file: recovery-code
// digests and failure fingerprints are keyed with it and are copied as
// they are. A missing destination key file gets the source's key; one
// holding another key is refused.
func shareKey(srcPath, dstPath string) error {
	if _, err := os.Stat(srcPath); errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("the source's key file %s does not exist", srcPath)
	}
	key, err := store.LoadOrCreateKey(srcPath)
	if err != nil {
		return err
	}
	err = store.WriteNewKey(dstPath, key)
	if !errors.Is(err, fs.ErrExist) {
		return err
	}
	dstKey, err := store.LoadOrCreateKey(dstPath)
	if err != nil {
		return err
	}
	if !dstKey.Equal(key.Bytes()) {
		return fmt.Errorf("the destination's key file %s holds another key than the source's %s: "+
			"recovery codes are keyed with it, so both stores need the same key file; "+
			"remove the destination's (while its store is empty) or copy the source's over it", dstPath, srcPath)
	}
	return nil
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
