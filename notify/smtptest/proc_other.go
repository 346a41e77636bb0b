//go:build !linux

package smtptest

import "os/exec"

// setDeathSignal does nothing where the kernel has no parent-death signal;
// the server still exits when its standard input closes.
func setDeathSignal(*exec.Cmd) {}
