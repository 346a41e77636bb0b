//go:build !unix

package adtest

import (
	"errors"
	"os/exec"
)

// errLocked: another process holds the lock (never on this platform).
var errLocked = errors.New("adtest: locked")

var errUnsupported = errors.New("adtest: unsupported platform")

// StartDC skips before any of these is reached on this platform.

func lockFile(string, bool) (func(), error) { return nil, errUnsupported }
func setProcessGroup(*exec.Cmd)             {}
func signalGroup(int, bool) error           { return errUnsupported }
func groupAlive(int) bool                   { return false }
