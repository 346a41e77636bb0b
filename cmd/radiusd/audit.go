package main

import (
	"context"
	"fmt"
	"os"
	"os/user"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"
	"unicode/utf8"

	"radiusd/store"
)

const auditSynopsis = "audit [--config FILE] [--json] [--user NAME] [--actor NAME] [--limit N] [--before ID]"

// auditJSON is one entry of "audit --json".
type auditJSON struct {
	ID     int64  `json:"id"`
	Time   string `json:"time"`
	Actor  string `json:"actor"`
	Action string `json:"action"`
	Target string `json:"target"`
	Detail string `json:"detail"`
	Remote string `json:"remote"`
}

// auditFlags are the flags of "radiusd audit".
type auditFlags struct {
	user, actor string
	limit       int
	before      int64
}

// cmdAudit lists the audit trail, newest first.
func cmdAudit(ctx context.Context, args []string, s streams) int {
	c := newCommand("audit", auditSynopsis, true, s)
	var f auditFlags
	c.fs.StringVar(&f.user, "user", "", "only entries about `NAME` (normalised like a login; * for imports)")
	c.fs.StringVar(&f.actor, "actor", "", "only entries by `NAME` (a portal admin, or cli:OS-USER)")
	c.fs.IntVar(&f.limit, "limit", store.DefaultAuditLimit, "at most `N` entries (1 to 1000)")
	c.fs.Int64Var(&f.before, "before", 0, "only entries older than the one with this `ID` (the next page)")
	if _, code, ok := c.parse(args, 0, s); !ok {
		return code
	}
	if f.limit < 1 || f.limit > store.MaxAuditLimit || f.before < 0 {
		fmt.Fprintf(s.err, "radiusd audit: --limit must be 1 to %d and --before not negative\n", store.MaxAuditLimit)
		return exitUsage
	}
	ss, code := open(ctx, c, s)
	if ss == nil {
		return code
	}
	defer ss.close()
	q := store.AuditQuery{Target: f.user, Actor: f.actor, Before: f.before, Limit: f.limit}
	if f.user != "" && f.user != "*" {
		name, err := ss.accounts.Name(f.user)
		if err != nil {
			return userError(s, f.user, err)
		}
		q.Target = name
	}
	entries, err := ss.backend.store.ListAudit(ctx, q)
	if err != nil {
		return fail(s.err, "audit: %v", err)
	}
	if c.json {
		return printJSON(s, toAuditJSON(entries))
	}
	printAudit(s, entries)
	return exitOK
}

func toAuditJSON(entries []store.AuditEntry) []auditJSON {
	out := make([]auditJSON, 0, len(entries))
	for _, e := range entries {
		out = append(out, auditJSON{ID: e.ID, Time: e.Time.UTC().Format(time.RFC3339), Actor: e.Actor,
			Action: e.Action, Target: e.Target, Detail: e.Detail, Remote: e.Remote})
	}
	return out
}

// printAudit prints entries as a table, one line each.
func printAudit(s streams, entries []store.AuditEntry) {
	tw := tabwriter.NewWriter(s.out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TIME\tACTOR\tACTION\tTARGET\tDETAIL\tREMOTE")
	for _, e := range entries {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", e.Time.UTC().Format(time.RFC3339),
			cell(e.Actor), cell(e.Action), cell(e.Target), cell(e.Detail), cell(e.Remote))
	}
	tw.Flush()
}

// cell shows a field in one table cell: "-" if empty, quoted with escapes
// if it holds a tab, a line break or another control character.
func cell(v string) string {
	switch {
	case v == "":
		return "-"
	case strings.IndexFunc(v, unicode.IsControl) >= 0:
		return strconv.Quote(v)
	default:
		return v
	}
}

// audit records an admin action that the command has just done, as
// cliActor from "local". If that fails, the change still stands: it says
// so in a warning and returns exitFailure; otherwise exitOK.
func (ss *session) audit(ctx context.Context, c *command, s streams, action, target, detail string) int {
	e := store.AuditEntry{
		Time: time.Now().UTC(), Actor: clip(cliActor()), Action: action,
		Target: clip(target), Detail: clip(detail), Remote: "local",
	}
	if err := ss.backend.store.AddAudit(ctx, e); err != nil {
		fmt.Fprintf(s.err, "radiusd %s: warning: the change is done, but writing its audit entry failed: %v\n", c.fs.Name(), err)
		return exitFailure
	}
	return exitOK
}

// cliActor names who runs the command: "cli:" and the operating-system
// user name, or "cli:uid N" where the user database has none.
func cliActor() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return "cli:" + u.Username
	}
	return "cli:uid " + strconv.Itoa(os.Getuid())
}

// clip shortens v to at most store.MaxAuditField bytes, at a character
// boundary, so that an odd long name still leaves an entry.
func clip(v string) string {
	if len(v) <= store.MaxAuditField {
		return v
	}
	cut := store.MaxAuditField
	for cut > 0 && !utf8.RuneStart(v[cut]) {
		cut--
	}
	return v[:cut]
}

// worse returns first unless it is exitOK, else second: the exit status of
// a command that printed its result and then recorded it.
func worse(first, second int) int {
	if first != exitOK {
		return first
	}
	return second
}
