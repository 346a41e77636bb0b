-- 0001: the schema of SQLite's migrations 0001-0003 in one step: users,
-- recovery codes, pending challenges and the key check.
-- Times are timestamptz (microseconds, UTC instants), NULL when unset.
-- Names use the "C" collation: compared and ordered byte by byte, as in
-- SQLite, whatever the database's default collation.

-- One row per normalised user name that the store has seen: enrolled
-- users, and users known only for a policy override, a failure count or a
-- grace start (state 'none'). fillfactor leaves room on each page so that
-- the updates of the request path (last_step, failures) are HOT updates.
CREATE TABLE users (
	name           text COLLATE "C" NOT NULL PRIMARY KEY CHECK (name <> ''),
	state          text        NOT NULL DEFAULT 'none' CHECK (state IN ('none', 'pending', 'active')),
	totp_secret    bytea,               -- AES-256-GCM sealed, AAD = name; NULL when state is 'none'
	totp_digits    integer     NOT NULL DEFAULT 0,
	totp_period    integer     NOT NULL DEFAULT 0,
	totp_algorithm text        NOT NULL DEFAULT '',
	last_step      bigint      NOT NULL DEFAULT 0, -- replay record: last accepted TOTP step
	drift          integer     NOT NULL DEFAULT 0,
	policy         text        NOT NULL DEFAULT 'default' CHECK (policy IN ('default', 'required', 'exempt')),
	failures       integer     NOT NULL DEFAULT 0,
	failure_fp     bytea,               -- fingerprint of the last counted failure
	locked_until   timestamptz,
	enrolled_at    timestamptz,
	last_used      timestamptz,
	grace_started  timestamptz,
	created_at     timestamptz NOT NULL,
	-- Unused recovery codes, kept by the same statement or transaction
	-- that adds, spends or deletes codes (always after locking this row),
	-- so that reading a user is one row lookup.
	recovery_left  integer     NOT NULL DEFAULT 0 CHECK (recovery_left >= 0),
	CHECK ((state = 'none') = (totp_secret IS NULL))
) WITH (fillfactor = 80);

-- Recovery codes as keyed digests; a code is spent once by a conditional
-- UPDATE of used_at.
CREATE TABLE recovery_codes (
	user_name  text COLLATE "C" NOT NULL REFERENCES users (name) ON DELETE CASCADE,
	digest     bytea       NOT NULL CHECK (length(digest) > 0),
	used_at    timestamptz,
	created_at timestamptz NOT NULL,
	PRIMARY KEY (user_name, digest)
);

-- Pending Access-Challenges, keyed by SHA-256 of the challenge ID.
CREATE TABLE challenges (
	id_digest bytea       NOT NULL PRIMARY KEY CHECK (length(id_digest) = 32),
	user_name text        NOT NULL,
	client    text        NOT NULL,
	expires   timestamptz NOT NULL
);

CREATE INDEX challenges_expires ON challenges (expires);

-- A value sealed under the key file, so that opening the database with
-- another key file fails at once instead of on every enrolled user's login.
CREATE TABLE key_check (
	id     integer PRIMARY KEY CHECK (id = 1),
	sealed bytea   NOT NULL
);
