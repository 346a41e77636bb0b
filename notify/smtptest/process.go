package smtptest

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"time"

	"radiusd/internal/logtail"
)

// launch starts the server on s.Port and waits until it prints "ready".
func (s *Server) launch() error {
	logf, err := os.OpenFile(s.logPath(), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("smtptest: %w", err)
	}
	defer logf.Close()
	offset, _ := logf.Seek(0, io.SeekEnd)
	if err := s.writeConfig(); err != nil {
		return err
	}
	stdinR, stdinW, err := os.Pipe()
	if err != nil {
		return fmt.Errorf("smtptest: %w", err)
	}
	defer stdinR.Close()
	cmd := exec.Command(s.python, s.scriptPath(), s.configPath())
	cmd.Stdin, cmd.Stderr = stdinR, logf
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		stdinW.Close()
		return fmt.Errorf("smtptest: %w", err)
	}
	setDeathSignal(cmd)
	if err := cmd.Start(); err != nil {
		stdinW.Close()
		return fmt.Errorf("smtptest: start %s: %w", s.python, err)
	}
	s.cmd, s.PID, s.stdin, s.exited = cmd, cmd.Process.Pid, stdinW, make(chan struct{})
	ready := make(chan struct{})
	go func() { // the first line is "ready"; then drain until exit
		sc := bufio.NewScanner(stdout)
		if sc.Scan() && sc.Text() == "ready" {
			close(ready)
		}
		_, _ = io.Copy(io.Discard, stdout)
	}()
	go func(done chan struct{}) { _ = cmd.Wait(); close(done) }(s.exited)
	return s.waitReady(ready, offset)
}

// writeConfig writes the server's configuration with s.Port.
func (s *Server) writeConfig() error {
	s.config["port"] = s.Port
	b, err := json.Marshal(s.config)
	if err != nil {
		return fmt.Errorf("smtptest: %w", err)
	}
	if err := os.WriteFile(s.configPath(), b, 0o600); err != nil {
		return fmt.Errorf("smtptest: %w", err)
	}
	return nil
}

// waitReady waits for ready, the server's exit or startTimeout. On
// failure it kills the server and returns an error with the log written
// since offset.
func (s *Server) waitReady(ready chan struct{}, offset int64) error {
	var err error
	select {
	case <-ready:
		return nil
	case <-s.exited:
		tail := s.logTail(offset)
		if strings.Contains(tail, "Address already in use") || strings.Contains(tail, "address already in use") {
			err = fmt.Errorf("%w: %s", errAddrInUse, s.Addr)
		} else {
			err = fmt.Errorf("smtptest: server exited during start:\n%s", tail)
		}
	case <-time.After(startTimeout):
		err = fmt.Errorf("smtptest: server not ready on %s within %v:\n%s", s.Addr, startTimeout, s.logTail(offset))
	}
	_ = s.cmd.Process.Kill()
	<-s.exited
	_ = s.stdin.Close()
	s.cmd, s.PID = nil, 0
	return err
}

// logTail returns the last 30 lines of the log written since offset.
func (s *Server) logTail(offset int64) string { return logtail.Since(s.logPath(), offset, 30) }
