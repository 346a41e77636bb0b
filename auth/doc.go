// Package auth is radiusd's decision logic: given one Access-Request as a
// Request, it decides Accept, Reject or Challenge per PRODUCT.md §2–§3 and
// §7, using a Directory for passwords and a Store for second-factor state.
//
// Rules it keeps: the second factor is verified before any password check;
// at most one password check per request; every backend error is returned
// (the caller rejects: fail closed); a TOTP step is accepted at most once
// (the store's conditional update decides); failed second factors are
// counted per normalised user.
//
// It knows nothing of UDP, RADIUS encoding, LDAP or SQL: it must never
// import layeh.com/radius, database/sql, go-ldap or any store or directory
// driver.
package auth
