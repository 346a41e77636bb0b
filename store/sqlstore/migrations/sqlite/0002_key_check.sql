-- 0002: a value sealed under the key file, so that opening the database
-- with another key file (a wrong one, or one recreated after a restore
-- without it) fails at once instead of on every enrolled user's login.
CREATE TABLE key_check (
	id     INTEGER PRIMARY KEY CHECK (id = 1),
	sealed BLOB    NOT NULL
);
