-- 0002: second factors sent by e-mail or SMS (SQLite's 0004).
-- method: the user's choice of second factor ('default': the site's
-- group rules decide). last_send: when the last code was sent to the
-- user, NULL if never; ReserveSend changes it by one conditional upsert.
-- code: the keyed digest of the code sent with a challenge, NULL for a
-- TOTP challenge. A column with a constant default is added without
-- rewriting the table.
ALTER TABLE users
	ADD COLUMN method text NOT NULL DEFAULT 'default'
		CHECK (method IN ('default', 'totp', 'email', 'sms')),
	ADD COLUMN last_send timestamptz;

ALTER TABLE challenges ADD COLUMN code bytea CHECK (code IS NULL OR length(code) > 0);
