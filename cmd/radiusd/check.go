package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"radiusd/config"
	"radiusd/secret"
	"radiusd/store"
	"radiusd/store/pgstore"
	"radiusd/store/sqlstore"
)

// checkTimeout bounds how long check waits for the directory.
const checkTimeout = 10 * time.Second

// checkReport is the outcome of "radiusd check".
type checkReport struct {
	OK       bool     `json:"ok"`
	Problems []string `json:"problems"`
	Warnings []string `json:"warnings"`
	Notes    []string `json:"notes"`
}

func cmdCheck(ctx context.Context, args []string, s streams) int {
	c := newCommand("check", "check [--config FILE] [--json]", true, s)
	if _, code, ok := c.parse(args, 0, s); !ok {
		return code
	}
	rep := checkReport{Problems: []string{}, Warnings: []string{}, Notes: []string{}}
	cfg, err := config.Load(c.config)
	if err != nil {
		rep.Problems = append(rep.Problems, splitErrors(err)...)
	} else {
		rep.Warnings = append(rep.Warnings, cfg.Warnings()...)
		rep.check(ctx, cfg)
	}
	rep.OK = len(rep.Problems) == 0
	if c.json {
		printJSON(s, rep)
	} else {
		rep.print(s, c.config)
	}
	if !rep.OK {
		return exitFailure
	}
	return exitOK
}

// check reaches the key file, the store and the directory without
// creating anything.
func (r *checkReport) check(ctx context.Context, cfg *config.Config) {
	logger := slog.New(slog.DiscardHandler)
	if _, err := messageSenders(cfg, nil); err != nil { // the templates and CA files serve would refuse
		r.Problems = append(r.Problems, err.Error())
	}
	r.checkDirectory(ctx, cfg, logger)
	r.checkPortal(cfg, time.Now())
	if cfg.Store.Driver == "postgres" {
		r.checkPostgres(ctx, cfg.Store)
		return
	}
	if _, err := os.Stat(cfg.Store.KeyFile); errors.Is(err, fs.ErrNotExist) {
		r.creatable("key file", cfg.Store.KeyFile)
		r.creatable("database", cfg.Store.Path)
		return
	}
	key, err := store.LoadOrCreateKey(cfg.Store.KeyFile)
	if err != nil {
		r.Problems = append(r.Problems, err.Error())
		return
	}
	if _, err := os.Stat(cfg.Store.Path); errors.Is(err, fs.ErrNotExist) {
		r.creatable("database", cfg.Store.Path)
		return
	}
	st, err := sqlstore.Open(ctx, sqlstore.Options{Path: cfg.Store.Path, Key: key, Synchronous: cfg.Store.Synchronous})
	if err != nil {
		r.Problems = append(r.Problems, err.Error())
		return
	}
	defer st.Close()
	if err := st.Ping(ctx); err != nil {
		r.Problems = append(r.Problems, err.Error())
		return
	}
	r.Notes = append(r.Notes, "store: "+cfg.Store.Path+" is reachable")
}

// checkPostgres reaches the database without changing it and reports its
// schema version and whether the key file is the database's.
func (r *checkReport) checkPostgres(ctx context.Context, c config.Store) {
	name := "store: postgres " + redactedDSN(c.ConnString)
	key, err := loadExistingKey(c.KeyFile)
	if err != nil {
		r.Problems = append(r.Problems, err.Error())
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	probe := key
	if probe.IsZero() {
		probe = secret.New(make([]byte, store.KeySize)) // no key file yet: reach the database anyway
	}
	st, err := pgstore.Inspect(ctx, pgstore.Options{DSN: string(c.ConnString.Value().Bytes()), Key: probe, StatementTimeout: c.StatementTimeout})
	switch {
	case err != nil:
		r.Problems = append(r.Problems, fmt.Sprintf("%s: %v", name, err))
	case st.SchemaVersion > st.Latest:
		r.Problems = append(r.Problems, fmt.Sprintf("%s: schema version %d is newer than this radiusd (%d)", name, st.SchemaVersion, st.Latest))
	case key.IsZero() && st.KeyChecked:
		r.Problems = append(r.Problems, fmt.Sprintf("%s is in use, but key file %s does not exist: copy it from a node that uses this database", name, c.KeyFile))
	case st.KeyChecked && !st.KeyMatches:
		r.Problems = append(r.Problems, fmt.Sprintf("%s: %v", name, pgstore.ErrWrongKey))
	case key.IsZero():
		r.Notes = append(r.Notes, fmt.Sprintf("%s is reachable and new; key file %s does not exist yet: radiusd serve creates it, "+
			"then copy it to every other node", name, c.KeyFile))
	case st.SchemaVersion < st.Latest:
		r.Notes = append(r.Notes, fmt.Sprintf("%s is reachable, schema version %d; radiusd serve migrates it to %d", name, st.SchemaVersion, st.Latest))
	default:
		r.Notes = append(r.Notes, fmt.Sprintf("%s is reachable, schema version %d (current), key file matches", name, st.SchemaVersion))
	}
}

// loadExistingKey loads the key file, or returns a zero key (and a throwaway
// one for Inspect) if it does not exist; it never creates the file.
func loadExistingKey(path string) (secret.Value, error) {
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return secret.Value{}, nil
	}
	return store.LoadOrCreateKey(path)
}

// creatable notes that path does not exist yet, or reports a problem if
// radiusd could not create it: the nearest existing parent directory must
// be writable.
func (r *checkReport) creatable(what, path string) {
	dir := filepath.Dir(path)
	for {
		if _, err := os.Stat(dir); err == nil || filepath.Dir(dir) == dir {
			break
		}
		dir = filepath.Dir(dir)
	}
	if err := unix.Access(dir, unix.W_OK); err != nil {
		r.Problems = append(r.Problems, fmt.Sprintf("store: %s %s does not exist and cannot be created: %s is not writable", what, path, dir))
		return
	}
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		r.Notes = append(r.Notes, fmt.Sprintf("store: %s %s does not exist yet; radiusd serve creates it", what, path))
	}
}

func (r *checkReport) print(s streams, path string) {
	for _, n := range r.Notes {
		fmt.Fprintln(s.out, "ok:      "+n)
	}
	for _, w := range r.Warnings {
		fmt.Fprintln(s.out, "warning: "+w)
	}
	for _, p := range r.Problems {
		fmt.Fprintln(s.out, "problem: "+p)
	}
	if r.OK {
		fmt.Fprintf(s.out, "%s: no problems found\n", path)
	} else {
		fmt.Fprintf(s.out, "%s: %d problem(s)\n", path, len(r.Problems))
	}
}

// splitErrors turns an errors.Join tree into one line per problem.
func splitErrors(err error) []string {
	var out []string
	for _, line := range strings.Split(err.Error(), "\n") {
		if line = strings.TrimSpace(line); line != "" {
			out = append(out, line)
		}
	}
	return out
}

// checkDirectory opens the directory and reaches it as requests would.
func (r *checkReport) checkDirectory(ctx context.Context, cfg *config.Config, logger *slog.Logger) {
	dir, err := newDirectory(cfg, logger)
	if err != nil {
		r.Problems = append(r.Problems, splitErrors(fmt.Errorf("directory: %w", err))...)
		return
	}
	defer dir.close()
	ctx, cancel := context.WithTimeout(ctx, checkTimeout)
	defer cancel()
	if err := dir.check(ctx); err != nil {
		r.Problems = append(r.Problems, splitErrors(fmt.Errorf("directory: %w", err))...)
		return
	}
	r.Notes = append(r.Notes, "directory: "+dir.describe())
}
