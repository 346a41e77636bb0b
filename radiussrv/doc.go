// Package radiussrv is the RADIUS front end of radiusd: it reads UDP
// datagrams, matches the sending client by source address, verifies the
// Message-Authenticator (RFC 3579, RFC 2869; BlastRADIUS, CVE-2024-3596),
// answers retransmissions from a duplicate cache (RFC 5080), decodes PAP
// Access-Requests (RFC 2865), asks its Authenticator for a decision and
// encodes the signed reply. Status-Server (RFC 5997) is answered so NAS
// health checks work. Everything that is not an authenticated PAP request
// from a known client is dropped or rejected; any error fails closed.
//
// It uses layeh.com/radius only to parse and encode packets and attributes,
// never its PacketServer, debug package or rfc2865.*_Get helpers.
//
// It imports the standard library, layeh.com/radius, radiusd/auth (for the
// Request, Decision and Mode types only) and radiusd/secret. It must not
// import database/sql, LDAP, radiusd/store or radiusd/directory packages.
package radiussrv
