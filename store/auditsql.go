package store

import (
	"fmt"
	"strings"
)

// AuditColumns are the audit table's columns in the order drivers scan
// them: id, at, actor, action, target, detail, remote.
const AuditColumns = `id, at, actor, action, target, detail, remote`

// AuditSQL returns the SELECT of q on the audit table and its arguments,
// for a driver whose numbered placeholders are mark followed by the
// argument's number ("$" for PostgreSQL, "?" for SQLite). There is a
// condition only for each filter q sets, so that every shape of query has a
// plan on the (target, id), (actor, id) or primary-key index. Call it on a
// query that passed Check.
func AuditSQL(q AuditQuery, mark string) (string, []any) {
	var where []string
	var args []any
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, fmt.Sprintf(cond, mark, len(args)))
	}
	if q.Target != "" {
		add("target = %s%d", q.Target)
	}
	if q.Actor != "" {
		add("actor = %s%d", q.Actor)
	}
	if q.Before > 0 {
		add("id < %s%d", q.Before)
	}
	query := `SELECT ` + AuditColumns + ` FROM audit`
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, ` AND `)
	}
	args = append(args, q.Size())
	return query + fmt.Sprintf(` ORDER BY id DESC LIMIT %s%d`, mark, len(args)), args
}
