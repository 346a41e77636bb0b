// Package portal is radiusd's self-service web portal and admin pages
// (PRODUCT.md §8): users sign in with their directory password (and a code
// once enrolled), enroll an authenticator app, and manage recovery codes;
// members of the admin groups find users, reset, unlock, set the policy
// override and issue recovery codes, each action written to the audit
// trail.
//
// It calls the same decision logic (auth) and store as RADIUS, so sign-in
// failures count in the one lockout and codes used here are spent there
// too. Pages are server-rendered with html/template from embedded files
// and need no JavaScript; every form carries a CSRF token.
//
// It knows nothing of UDP or RADIUS and nothing of LDAP or SQL: it must
// never import layeh.com/radius, radiusd/radiussrv, database/sql, go-ldap,
// or any store or directory driver.
package portal
