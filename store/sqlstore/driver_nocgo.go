//go:build !cgo

package sqlstore

import _ "modernc.org/sqlite" // registers "sqlite": pure Go

// driverName is modernc.org/sqlite when cgo is off (CGO_ENABLED=0, or no C
// compiler installed): slower than the cgo driver (see driver_cgo.go) but
// it needs nothing but Go and gives a static binary.
const driverName = "sqlite"
