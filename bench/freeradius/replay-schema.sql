PRAGMA journal_mode = WAL;
CREATE TABLE IF NOT EXISTS totp_replay (username TEXT PRIMARY KEY, step INTEGER NOT NULL);
