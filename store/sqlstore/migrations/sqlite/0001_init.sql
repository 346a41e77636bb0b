-- 0001: users, recovery codes and pending challenges.
-- Times are Unix microseconds (INTEGER), NULL when unset.

-- One row per normalised user name that the store has seen: enrolled
-- users, and users known only for a policy override, a failure count or a
-- grace start (state 'none').
CREATE TABLE users (
	name           TEXT    NOT NULL PRIMARY KEY CHECK (name <> ''),
	state          TEXT    NOT NULL DEFAULT 'none' CHECK (state IN ('none', 'pending', 'active')),
	totp_secret    BLOB,            -- AES-256-GCM sealed, AAD = name; NULL when state is 'none'
	totp_digits    INTEGER NOT NULL DEFAULT 0,
	totp_period    INTEGER NOT NULL DEFAULT 0,
	totp_algorithm TEXT    NOT NULL DEFAULT '',
	last_step      INTEGER NOT NULL DEFAULT 0, -- replay record: last accepted TOTP step
	drift          INTEGER NOT NULL DEFAULT 0,
	policy         TEXT    NOT NULL DEFAULT 'default' CHECK (policy IN ('default', 'required', 'exempt')),
	failures       INTEGER NOT NULL DEFAULT 0,
	failure_fp     BLOB,            -- fingerprint of the last counted failure
	locked_until   INTEGER,
	enrolled_at    INTEGER,
	last_used      INTEGER,
	grace_started  INTEGER,
	created_at     INTEGER NOT NULL,
	CHECK ((state = 'none') = (totp_secret IS NULL))
) WITHOUT ROWID;

-- Recovery codes as keyed digests; a code is used once by a conditional
-- UPDATE of used_at.
CREATE TABLE recovery_codes (
	user_name  TEXT    NOT NULL REFERENCES users (name) ON DELETE CASCADE,
	digest     BLOB    NOT NULL,
	used_at    INTEGER,
	created_at INTEGER NOT NULL,
	PRIMARY KEY (user_name, digest)
) WITHOUT ROWID;

-- Pending Access-Challenges, keyed by SHA-256 of the challenge ID.
CREATE TABLE challenges (
	id_digest BLOB    NOT NULL PRIMARY KEY,
	user_name TEXT    NOT NULL,
	client    TEXT    NOT NULL,
	expires   INTEGER NOT NULL
) WITHOUT ROWID;

CREATE INDEX challenges_expires ON challenges (expires);
