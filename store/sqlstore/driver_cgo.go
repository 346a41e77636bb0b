//go:build cgo

package sqlstore

import _ "github.com/mattn/go-sqlite3" // registers "sqlite3": SQLite's C library through cgo

// driverName is mattn/go-sqlite3 wherever cgo is available (the default
// with a C compiler installed). It was chosen over the pure-Go
// modernc.org/sqlite by the end-to-end load test (radload, bare codes at
// concurrency 32, interleaved runs): 13.7-14.1k against 9.3-9.7k req/s,
// p99 8.3-9.3 ms against 15.3-15.7 ms, because the one SQLite writer is
// what the accept path waits for; BenchmarkAcceptPath alone showed 20%.
// Without cgo (CGO_ENABLED=0, or no C compiler) driver_nocgo.go uses
// modernc.org/sqlite instead; both read and write the same files.
const driverName = "sqlite3"
