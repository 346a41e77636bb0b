package ldaptest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// setDeathSignal makes the kernel kill slapd if the test process dies
// without running its cleanups (a test timeout, a crash).
func setDeathSignal(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}

// allStopped reports whether every thread of process pid is stopped by a
// signal (SIGSTOP takes effect asynchronously).
func allStopped(pid int) bool {
	stats, _ := filepath.Glob(filepath.Join("/proc", strconv.Itoa(pid), "task", "*", "stat"))
	for _, p := range stats {
		b, err := os.ReadFile(p)
		if err != nil {
			return false
		}
		// The state follows the parenthesised command name: "12 (slapd) T …".
		_, rest, ok := strings.Cut(string(b), ") ")
		if !ok || rest == "" || rest[0] != 'T' {
			return false
		}
	}
	return len(stats) > 0
}
