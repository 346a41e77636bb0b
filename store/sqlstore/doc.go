// Package sqlstore is the SQLite driver of store.Store, on database/sql
// with mattn/go-sqlite3 (SQLite's C library through cgo) where cgo is
// available, else the pure-Go modernc.org/sqlite; see driver_cgo.go for
// why.
//
// It imports radiusd/store, radiusd/secret, database/sql and the SQLite
// driver; it must never import auth, radiussrv, directory or config. Only
// cmd/radiusd imports it.
//
// # Schema and keys
//
// The schema lives in embedded migrations (migrations/sqlite/NNNN_*.sql),
// applied in one transaction at Open and recorded in schema_version; a
// database written by a newer radiusd is refused. TOTP secrets are sealed
// with AES-256-GCM under store.DeriveKey(master, "totp-secret"), with the
// user name as additional data, so a row copied to another user does not
// decrypt. Recovery codes are stored as the caller's keyed digests, one row
// each with a unique (user, digest) key; challenges only as SHA-256 of
// their ID, with the caller's keyed digest of a code sent by e-mail or SMS
// (never the code). The user's method and the time of the last sent code
// are columns of the user's row (migration 0004). The audit trail of admin
// actions is one table (migration 0005) whose rowid is the entry's ID;
// AddAudit is one INSERT on the write connection, and ListAudit reads it
// newest first through an index on (target, id) or (actor, id).
//
// # Concurrency
//
// SQLite has one writer. The Store keeps one write connection, whose
// transactions begin IMMEDIATE, so concurrent writers in this process
// queue in Go rather than fail with SQLITE_BUSY, and a pool of read-only
// connections that WAL lets run beside it. Other processes on the same
// file (the admin CLI) wait up to Options.BusyTimeout for the write lock.
// Every contract rule is one conditional statement or one transaction:
// AcceptStep is "UPDATE … WHERE last_step < ?", a recovery code is spent
// by "UPDATE … WHERE used_at IS NULL", RecordFailure is one
// "INSERT … ON CONFLICT DO UPDATE … RETURNING", ReserveSend another
// whose DO UPDATE applies only "WHERE last_send IS NULL OR last_send <=
// now-gap", and TakeChallenge one "DELETE … RETURNING". AcceptStep,
// UseRecoveryCode, RecordFailure and ReserveSend share write transactions
// (group commit, batch.go).
//
// # Durability: synchronous=normal versus full
//
// The database runs in WAL mode. Options.Synchronous chooses what a commit
// waits for, and so what replay protection survives:
//
//   - "normal" (the default): a commit is appended to the WAL without an
//     fsync; the WAL is synced only at checkpoints. The database never
//     becomes corrupt, and a crash of radiusd alone loses nothing (the
//     operating system still has the writes). But after a power loss or
//     kernel crash the last commits before it may be gone: an AcceptStep
//     made in those moments is rolled back, so the same TOTP code could
//     be accepted once more if it is presented again while still inside
//     its window (period × (1 + skew), about 90 seconds by default).
//     The same holds for a spent recovery code, a recorded failure, a
//     taken challenge (so an e-mail or SMS code could be accepted twice)
//     and a reserved send. Choose it when such a replay right after a
//     power cut is an acceptable risk; it is about five times faster.
//   - "full": every commit fsyncs the WAL before AcceptStep returns, so an
//     accepted code stays accepted across a power loss (given a disk that
//     honours fsync). Each write then costs one fsync, which bounds the
//     write rate by the disk's sync latency.
package sqlstore
