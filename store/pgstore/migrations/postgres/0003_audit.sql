-- 0003: the audit trail of admin actions (SQLite's 0005), shared by every
-- node. id comes from a sequence: unique and increasing in the order the
-- inserts began. at is the caller's time. Lengths and encodings are
-- checked by store.AuditEntry.Check before any insert; names use the "C"
-- collation, as in users.
CREATE TABLE audit (
	id     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	at     timestamptz      NOT NULL,
	actor  text COLLATE "C" NOT NULL CHECK (actor <> ''),
	action text COLLATE "C" NOT NULL CHECK (action <> ''),
	target text COLLATE "C" NOT NULL DEFAULT '',
	detail text             NOT NULL DEFAULT '',
	remote text             NOT NULL DEFAULT ''
);

-- "radiusd audit --user NAME" and "--actor NAME", newest first.
CREATE INDEX audit_target ON audit (target, id);
CREATE INDEX audit_actor ON audit (actor, id);
