package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// clockTicks is USER_HZ, the unit of utime and stime in /proc/PID/stat. It
// is 100 on every mainstream Linux architecture; Go cannot ask sysconf
// without cgo.
const clockTicks = 100

var errProcFormat = errors.New("radload: unexpected /proc format")

// procSample is one reading of a process's resource use.
type procSample struct {
	at       time.Time
	cpuTicks uint64 // utime + stime
	rssKB    uint64 // VmRSS
	hwmKB    uint64 // VmHWM: peak RSS over the process's life
}

// procReader reads /proc/PID files under root (normally "/proc").
type procReader struct {
	root string
	pid  int
}

// sample reads the process's CPU time and memory now.
func (r procReader) sample(now time.Time) (procSample, error) {
	dir := filepath.Join(r.root, strconv.Itoa(r.pid))
	stat, err := os.ReadFile(filepath.Join(dir, "stat"))
	if err != nil {
		return procSample{}, fmt.Errorf("radload: read server stat: %w", err)
	}
	ticks, err := parseStatCPU(stat)
	if err != nil {
		return procSample{}, err
	}
	status, err := os.ReadFile(filepath.Join(dir, "status"))
	if err != nil {
		return procSample{}, fmt.Errorf("radload: read server status: %w", err)
	}
	rss, hwm, err := parseStatusMem(status)
	if err != nil {
		return procSample{}, err
	}
	return procSample{at: now, cpuTicks: ticks, rssKB: rss, hwmKB: hwm}, nil
}

// parseStatCPU returns utime+stime (fields 14 and 15) from /proc/PID/stat.
// The command name (field 2) may hold spaces and parentheses, so fields are
// counted after its last ')'.
func parseStatCPU(b []byte) (uint64, error) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, errProcFormat
	}
	f := strings.Fields(string(b[i+1:])) // f[0] is field 3 (state)
	if len(f) < 13 {
		return 0, errProcFormat
	}
	utime, err1 := strconv.ParseUint(f[11], 10, 64)
	stime, err2 := strconv.ParseUint(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, errProcFormat
	}
	return utime + stime, nil
}

// parseStatusMem returns VmRSS and VmHWM in kB from /proc/PID/status.
func parseStatusMem(b []byte) (rss, hwm uint64, err error) {
	var seen int
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		key, rest, ok := strings.Cut(sc.Text(), ":")
		if !ok || (key != "VmRSS" && key != "VmHWM") {
			continue
		}
		f := strings.Fields(rest)
		if len(f) != 2 || f[1] != "kB" {
			return 0, 0, errProcFormat
		}
		v, perr := strconv.ParseUint(f[0], 10, 64)
		if perr != nil {
			return 0, 0, errProcFormat
		}
		if key == "VmRSS" {
			rss = v
		} else {
			hwm = v
		}
		seen++
	}
	if seen != 2 {
		return 0, 0, errProcFormat
	}
	return rss, hwm, nil
}

// procMonitor samples a process every interval until its context ends.
type procMonitor struct {
	reader   procReader
	interval time.Duration
	now      func() time.Time
	samples  []procSample
	err      error
}

// run samples until ctx ends, then takes a final sample. It records the
// first read error and stops there (the server may have exited).
func (m *procMonitor) run(ctx context.Context) {
	t := time.NewTicker(m.interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			m.take()
			return
		case <-t.C:
			if !m.take() {
				return
			}
		}
	}
}

// take appends one sample and reports whether it succeeded.
func (m *procMonitor) take() bool {
	if m.err != nil {
		return false
	}
	s, err := m.reader.sample(m.now())
	if err != nil {
		m.err = err
		return false
	}
	m.samples = append(m.samples, s)
	return true
}

// serverReport summarises the server's resource use during a run.
type serverReport struct {
	PID         int      `json:"pid"`
	CPUSeconds  float64  `json:"cpu_seconds"`
	CPUPercent  float64  `json:"cpu_percent_of_one_core"`
	RSSStartKB  uint64   `json:"rss_start_kb"`
	RSSEndKB    uint64   `json:"rss_end_kb"`
	RSSMaxKB    uint64   `json:"rss_max_sampled_kb"`
	VmHWMKB     uint64   `json:"vm_hwm_kb"`
	Samples     int      `json:"samples"`
	RSSSeriesKB []uint64 `json:"rss_series_kb,omitempty"`
	Error       string   `json:"error,omitempty"`
}

// summarise turns the samples into a serverReport; series keeps every RSS
// sample.
func (m *procMonitor) summarise(series bool) *serverReport {
	r := &serverReport{PID: m.reader.pid, Samples: len(m.samples)}
	if m.err != nil {
		r.Error = m.err.Error()
	}
	if len(m.samples) == 0 {
		return r
	}
	first, last := m.samples[0], m.samples[len(m.samples)-1]
	if last.cpuTicks >= first.cpuTicks {
		r.CPUSeconds = float64(last.cpuTicks-first.cpuTicks) / clockTicks
	}
	if wall := last.at.Sub(first.at).Seconds(); wall > 0 {
		r.CPUPercent = 100 * r.CPUSeconds / wall
	}
	r.RSSStartKB, r.RSSEndKB, r.VmHWMKB = first.rssKB, last.rssKB, last.hwmKB
	for _, s := range m.samples {
		r.RSSMaxKB = max(r.RSSMaxKB, s.rssKB)
		if series {
			r.RSSSeriesKB = append(r.RSSSeriesKB, s.rssKB)
		}
	}
	return r
}

// runningMonitor is a procMonitor sampling in its own goroutine.
type runningMonitor struct {
	m      *procMonitor
	cancel context.CancelFunc
	done   chan struct{}
}

// startMonitor takes a first sample of --server-pid and starts sampling it
// every second. It returns nil when no pid was given.
func startMonitor(cfg runConfig) (*runningMonitor, error) {
	if cfg.serverPID == 0 {
		return nil, nil
	}
	m := &procMonitor{reader: procReader{root: cfg.procRoot, pid: cfg.serverPID}, interval: time.Second, now: time.Now}
	if !m.take() {
		return nil, m.err
	}
	ctx, cancel := context.WithCancel(context.Background())
	rm := &runningMonitor{m: m, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(rm.done)
		m.run(ctx)
	}()
	return rm, nil
}

// stop takes a last sample and summarises; a nil monitor returns nil.
func (rm *runningMonitor) stop(series bool) *serverReport {
	if rm == nil {
		return nil
	}
	rm.cancel()
	<-rm.done
	return rm.m.summarise(series)
}
