-- 0004: second factors sent by e-mail or SMS.
-- method: the user's choice of second factor ('default': the site's
-- group rules decide). last_send: when the last code was sent to the user
-- (Unix microseconds, NULL if never), the resend limit's single
-- conditional upsert. code: the keyed digest of the code sent with a
-- challenge, NULL for a TOTP challenge.
ALTER TABLE users ADD COLUMN method TEXT NOT NULL DEFAULT 'default'
	CHECK (method IN ('default', 'totp', 'email', 'sms'));

ALTER TABLE users ADD COLUMN last_send INTEGER;

ALTER TABLE challenges ADD COLUMN code BLOB CHECK (code IS NULL OR length(code) > 0);
