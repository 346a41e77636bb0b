-- 0003: the number of unused recovery codes kept on the user row by
-- triggers, so that reading a user on the request path is one row lookup
-- instead of a count over recovery_codes.
ALTER TABLE users ADD COLUMN recovery_left INTEGER NOT NULL DEFAULT 0;

UPDATE users SET recovery_left =
	(SELECT count(*) FROM recovery_codes r WHERE r.user_name = users.name AND r.used_at IS NULL);

CREATE TRIGGER recovery_codes_added AFTER INSERT ON recovery_codes WHEN NEW.used_at IS NULL
BEGIN
	UPDATE users SET recovery_left = recovery_left + 1 WHERE name = NEW.user_name;
END;

CREATE TRIGGER recovery_codes_deleted AFTER DELETE ON recovery_codes WHEN OLD.used_at IS NULL
BEGIN
	UPDATE users SET recovery_left = recovery_left - 1 WHERE name = OLD.user_name;
END;

CREATE TRIGGER recovery_codes_used AFTER UPDATE OF used_at ON recovery_codes
	WHEN OLD.used_at IS NULL AND NEW.used_at IS NOT NULL
BEGIN
	UPDATE users SET recovery_left = recovery_left - 1 WHERE name = NEW.user_name;
END;
