package smtptest

import (
	"os/exec"
	"syscall"
)

// setDeathSignal makes the kernel kill the server if the test process
// dies without running its cleanups (a test timeout, a crash).
func setDeathSignal(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
