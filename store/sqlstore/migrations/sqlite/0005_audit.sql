-- 0005: the audit trail of admin actions. id is the rowid, assigned in
-- increasing order; AUTOINCREMENT keeps it from ever being reused. at is
-- the caller's time in Unix microseconds. Lengths and encodings are
-- checked by store.AuditEntry.Check before any insert.
CREATE TABLE audit (
	id     INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
	at     INTEGER NOT NULL,
	actor  TEXT    NOT NULL CHECK (actor <> ''),
	action TEXT    NOT NULL CHECK (action <> ''),
	target TEXT    NOT NULL DEFAULT '',
	detail TEXT    NOT NULL DEFAULT '',
	remote TEXT    NOT NULL DEFAULT ''
);

-- "radiusd audit --user NAME" and "--actor NAME", newest first.
CREATE INDEX audit_target ON audit (target, id);
CREATE INDEX audit_actor ON audit (actor, id);
