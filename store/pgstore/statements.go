package pgstore

// userColumns are the columns scanUser reads, in order.
const userColumns = `name, state, totp_secret, totp_digits, totp_period, totp_algorithm,
	last_step, drift, policy, failures, locked_until, enrolled_at, last_used,
	grace_started, created_at, recovery_left, method`

// SQL of the request path. pgx prepares each statement once per
// connection and then runs it in one round trip.
const (
	sqlGet = `SELECT ` + userColumns + ` FROM users WHERE name = $1`

	// $1 step, $2 drift, $3 now, $4 name. The UPDATE decides; the state
	// read beside it (from the statement's snapshot) only tells ErrReplay
	// from ErrNotFound after a refusal. Concurrent updates of one row queue
	// on its lock and re-check "last_step < $1" on the winner's row, so one
	// step is accepted once across every node.
	sqlAccept = `WITH accepted AS (
		UPDATE users SET last_step = $1, drift = $2, last_used = $3, failures = 0, failure_fp = NULL
		WHERE name = $4 AND state = 'active' AND last_step < $1
		RETURNING 1)
	SELECT EXISTS (SELECT 1 FROM accepted), (SELECT state FROM users WHERE name = $4)`

	// $1 name, $2 fingerprint (NULL: none), $3 MaxFailures (≤ 0: never
	// lock), $4 lock expiry, $5 now, $6 failures and $7 lock of a new row.
	// A failure whose fingerprint equals the last counted one changes
	// nothing; one that reaches MaxFailures locks and resets the count.
	sqlFailure = `INSERT INTO users AS u (name, failures, failure_fp, locked_until, created_at)
		VALUES ($1, $6, $2, $7, $5)
		ON CONFLICT (name) DO UPDATE SET
			failures = CASE
				WHEN u.failure_fp = excluded.failure_fp THEN u.failures
				WHEN $3::integer > 0 AND u.failures + 1 >= $3::integer THEN 0
				ELSE u.failures + 1 END,
			locked_until = CASE
				WHEN u.failure_fp = excluded.failure_fp THEN u.locked_until
				WHEN $3::integer > 0 AND u.failures + 1 >= $3::integer THEN $4::timestamptz
				ELSE u.locked_until END,
			failure_fp = excluded.failure_fp
		RETURNING locked_until`

	// $1 name, $2 now.
	sqlGrace = `INSERT INTO users AS u (name, grace_started, created_at) VALUES ($1, $2, $2)
		ON CONFLICT (name) DO UPDATE SET grace_started = COALESCE(u.grace_started, excluded.grace_started)
		RETURNING grace_started`

	// $1 now, $2 name, $3 digest. The user's row is locked first (as by
	// every statement that changes codes), then the code is spent by a
	// conditional UPDATE, and only then is the user updated; a concurrent
	// spender of the same code re-checks "used_at IS NULL" and finds none.
	sqlUseCode = `WITH owner AS (
		SELECT name FROM users WHERE name = $2 FOR UPDATE
	), spent AS (
		UPDATE recovery_codes SET used_at = $1
		WHERE user_name = (SELECT name FROM owner) AND digest = $3 AND used_at IS NULL
		RETURNING user_name)
	UPDATE users SET last_used = $1, failures = 0, failure_fp = NULL, recovery_left = recovery_left - 1
	WHERE name = (SELECT user_name FROM spent)`

	// $1 name, $2 now, $3 now - gap. A concurrent insert of the same name
	// makes the other wait and then take the DO UPDATE branch; DO UPDATE
	// locks the row and evaluates its WHERE on the newest version, so of
	// any number of racing reservations (on any nodes) one sets last_send
	// and the others find it after $3 and return no row.
	sqlReserveSend = `INSERT INTO users AS u (name, last_send, created_at) VALUES ($1, $2, $2)
		ON CONFLICT (name) DO UPDATE SET last_send = excluded.last_send
		WHERE u.last_send IS NULL OR u.last_send <= $3
		RETURNING true`

	// $1 digest of the ID, $2 user, $3 client, $4 expiry, $5 the latest
	// caller time, $6 purge batch, $7 code digest (NULL: none). The purge
	// skips rows another node is purging at the same moment.
	sqlPutChallenge = `WITH purged AS (
		DELETE FROM challenges WHERE id_digest IN (
			SELECT id_digest FROM challenges WHERE expires < $5
			ORDER BY expires LIMIT $6 FOR UPDATE SKIP LOCKED))
	INSERT INTO challenges (id_digest, user_name, client, expires, code) VALUES ($1, $2, $3, $4, $7)`

	sqlTake = `DELETE FROM challenges WHERE id_digest = $1 RETURNING user_name, client, expires, code`
)
