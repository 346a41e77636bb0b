//go:build unix

package adtest

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"syscall"
)

// errLocked: another process (or another StartDC) holds the lock.
var errLocked = errors.New("adtest: locked")

// lockFile takes an exclusive flock on path, waiting for it when wait is
// true and returning errLocked otherwise. The lock dies with the process.
func lockFile(path string, wait bool) (unlock func(), err error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	how := syscall.LOCK_EX
	if !wait {
		how |= syscall.LOCK_NB
	}
	if err := syscall.Flock(int(f.Fd()), how); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, errLocked
		}
		return nil, fmt.Errorf("flock %s: %w", path, err)
	}
	return func() { f.Close() }, nil
}

// setProcessGroup makes cmd the leader of a new process group.
func setProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}

// signalGroup sends SIGTERM (or SIGKILL) to the process group pgid.
func signalGroup(pgid int, kill bool) error {
	sig := syscall.SIGTERM
	if kill {
		sig = syscall.SIGKILL
	}
	return syscall.Kill(-pgid, sig)
}

// groupAlive reports whether any process of group pgid remains.
func groupAlive(pgid int) bool {
	return syscall.Kill(-pgid, 0) == nil
}
