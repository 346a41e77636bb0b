//go:build !linux

package ldaptest

import "os/exec"

// setDeathSignal does nothing where the kernel has no parent-death signal.
func setDeathSignal(*exec.Cmd) {}

// allStopped cannot tell where there is no /proc; Pause then waits a
// little.
func allStopped(int) bool { return false }
