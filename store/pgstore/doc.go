// Package pgstore is the PostgreSQL driver of store.Store, on pgx/v5
// (github.com/jackc/pgx/v5, without database/sql). Several radiusd nodes
// open one database and behave as one server (PRODUCT.md §9): a code
// accepted by one node is refused by all, a challenge begun on one node
// can be answered on another, lockouts are shared, and an admin reset is
// effective on every node as soon as it returns.
//
// It imports radiusd/store, radiusd/secret and pgx (not database/sql,
// though pgx itself links it); it must never import auth, radiussrv,
// directory or config. Only cmd/radiusd
// imports it. Its tests use pgtest, which runs a throwaway server.
//
// # Schema and keys
//
// The schema lives in embedded migrations (migrations/postgres/NNNN_*.sql)
// equivalent to SQLite's. Open applies the missing ones in one
// transaction that first takes pg_advisory_xact_lock(migrateLockKey), so
// nodes starting together queue there and the later ones find the work
// done; each is recorded in schema_version, and a database written by a
// newer radiusd is refused. The same transaction checks the key: a value
// sealed under the master key on first open must open again (ErrWrongKey
// otherwise: every node needs the same key file). Open also refuses a
// read-only session (a standby) and a database whose encoding is not UTF8.
//
// TOTP secrets are sealed with AES-256-GCM under store.DeriveKey(master,
// "totp-secret"), with the user name as additional data, exactly as by
// sqlstore. Recovery codes are stored as the caller's keyed digests, one
// row each with a unique (user, digest) key; challenges only as SHA-256 of
// their ID, with the caller's keyed digest of a code sent by e-mail or SMS
// (never the code). The user's method and the time of the last sent code
// are columns of the user's row (migration 0002). Times are timestamptz:
// UTC instants at microsecond precision (finer digits are truncated), read
// back in UTC. Names have the "C"
// collation, so they compare and sort byte by byte. PostgreSQL text cannot
// hold NUL or invalid UTF-8: such a name is never found, and the calls
// that would create it fail.
//
// # Concurrency
//
// Every rule is enforced by the database, in one statement or one
// transaction, never by a read followed by a write in Go. Under READ
// COMMITTED, a statement that finds its row changed by a concurrent
// transaction waits for it and re-checks its condition on the new row,
// which is what makes each conditional statement below exact:
//
//   - AcceptStep is "UPDATE … WHERE state = 'active' AND last_step < $step";
//     however many nodes submit one step, one UPDATE matches.
//   - UseRecoveryCode spends a code by "UPDATE … WHERE used_at IS NULL".
//   - RecordFailure is one "INSERT … ON CONFLICT DO UPDATE … RETURNING",
//     StartGrace another; TakeChallenge is "DELETE … RETURNING", so a
//     code sent by e-mail or SMS is accepted once across every node.
//   - ReserveSend is "INSERT … ON CONFLICT DO UPDATE … WHERE last_send IS
//     NULL OR last_send <= now-gap RETURNING": DO UPDATE locks the row and
//     judges the newest version, so of the nodes racing to send a user a
//     code one wins per gap.
//   - Enroll, Import, Activate, ReplaceRecoveryCodes and Reset are
//     transactions whose first statement locks the user's row and decides.
//   - Restore (store.Copier, for radiusd store copy) inserts a whole user
//     with "ON CONFLICT DO NOTHING" and its codes in one transaction;
//     Export reads from one REPEATABLE READ snapshot.
//   - AddAudit is one INSERT into the audit trail (migration 0003), whose
//     identity column gives every entry of every node its own ID. IDs
//     follow the order in which the inserts began: of two nodes adding an
//     entry in the same millisecond, the one with the smaller ID may
//     commit second. RestoreAudit appends a slice by one COPY.
//
// The users row caches the count of unused recovery codes (recovery_left),
// kept by the statement or transaction that changes the codes. Every such
// writer locks the user's row before touching recovery_codes, so two of
// them never deadlock. Expired challenges are purged by PutChallenge, at
// most purgeBatch at a time, against the latest time a caller passed to
// this Store, never this host's or the server's clock.
//
// # Connections, timeouts and outages
//
// A Store keeps up to Options.MaxConns connections in a pgxpool.Pool,
// which pings a connection idle for over a second before reusing it and
// closes idle ones after five minutes. Each connection has
// statement_timeout = Options.StatementTimeout, so the server abandons a
// statement, and its locks, that waits too long, and
// idle_in_transaction_session_timeout, so a node that dies inside a
// transaction does not hold its locks. The caller's ctx bounds each call
// on the client side too; a call whose ctx has no deadline gets
// ConnectTimeout + 2 × StatementTimeout. A database that is down makes
// calls fail within those bounds (fail closed); no call waits for it to
// return. When it returns, the same Store works again: broken connections
// are dropped, and a call that meets a connection the server ended while
// it was idle runs again on a new one, so the restart costs no failed call.
//
// TLS and the server's address come from the DSN, as for libpq:
// sslmode=verify-full and sslrootcert=/etc/radiusd/pg-ca.pem (sslcert and
// sslkey for client certificates). For a primary that fails over, list
// every host with target_session_attrs=read-write. Behind PgBouncer in
// transaction mode, add default_query_exec_mode=exec (pgx otherwise keeps
// prepared statements per connection).
//
// # Round trips
//
// pgx prepares each statement on a connection's first use of it (one extra
// round trip, once per connection) and then runs it in one round trip.
// After that, counted on the wire by TestRoundTrips:
//
//	Get, AcceptStep, RecordFailure, UseRecoveryCode, StartGrace,
//	SetPolicy, SetMethod, ReserveSend, Unlock, PutChallenge,
//	TakeChallenge, List, CountByState, Ping,
//	AddAudit, ListAudit                                    1
//	Enroll, Import, Reset                                  4 (BEGIN, 2 statements, COMMIT)
//	Activate, ReplaceRecoveryCodes, Restore                6 (BEGIN, 4 statements, COMMIT)
//
// An accepted TOTP code thus costs 2 round trips (Get, then AcceptStep),
// plus PutChallenge and TakeChallenge (1 each) when it answers an
// Access-Challenge; a refused one costs Get, AcceptStep and RecordFailure.
// A code sent by e-mail or SMS costs Get, ReserveSend and PutChallenge
// when it is sent, and TakeChallenge (plus RecordFailure if it is wrong)
// when it is answered.
//
// # Durability
//
// A call returns after its COMMIT, so what it wrote survives a crash of
// the database server as far as the server's synchronous_commit setting
// promises (on, the default: it does). After a fail-over to an
// asynchronous replica the last commits may be missing, and a code
// accepted in those moments could be accepted once more within its time
// window; synchronous replication closes that gap.
package pgstore
