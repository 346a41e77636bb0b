package main

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

func TestParseStatCPU(t *testing.T) {
	tests := []struct {
		name    string
		stat    string
		want    uint64
		wantErr error
	}{
		{"plain", "1234 (radiusd) S 1 1234 1234 0 -1 4194560 500 0 0 0 150 25 0 0 20 0 9 0 100 0 0\n", 175, nil},
		{"name with spaces and parens", "99 (a) b (c) R 1 2 3 4 5 6 7 8 9 10 7 3 0 0\n", 10, nil},
		{"no parenthesis", "1234 radiusd S 1", 0, errProcFormat},
		{"too few fields", "1 (x) S 1 2 3", 0, errProcFormat},
		{"not a number", "1 (x) S 1 2 3 4 5 6 7 8 9 10 x 3", 0, errProcFormat},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseStatCPU([]byte(tt.stat))
			if got != tt.want || !errors.Is(err, tt.wantErr) {
				t.Fatalf("parseStatCPU = %d, %v; want %d, %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestParseStatusMem(t *testing.T) {
	tests := []struct {
		name     string
		status   string
		rss, hwm uint64
		wantErr  error
	}{
		{"both", "Name:\tradiusd\nVmPeak:\t 9000 kB\nVmHWM:\t    8100 kB\nVmRSS:\t    7900 kB\n", 7900, 8100, nil},
		{"missing rss", "VmHWM:\t 1 kB\n", 0, 0, errProcFormat},
		{"bad unit", "VmHWM:\t 1 MB\nVmRSS:\t 1 kB\n", 0, 0, errProcFormat},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rss, hwm, err := parseStatusMem([]byte(tt.status))
			if rss != tt.rss || hwm != tt.hwm || !errors.Is(err, tt.wantErr) {
				t.Fatalf("got %d %d %v; want %d %d %v", rss, hwm, err, tt.rss, tt.hwm, tt.wantErr)
			}
		})
	}
}

// writeProc writes fake /proc/PID files with the given CPU ticks and RSS.
func writeProc(t *testing.T, root string, pid int, utime, stime int, rss, hwm int) {
	t.Helper()
	dir := filepath.Join(root, "4321")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	stat := []byte("4321 (radiusd) S 1 1 1 0 -1 0 0 0 0 0 " + strconv.Itoa(utime) + " " + strconv.Itoa(stime) + " 0 0\n")
	status := []byte("VmHWM:\t" + strconv.Itoa(hwm) + " kB\nVmRSS:\t" + strconv.Itoa(rss) + " kB\n")
	if os.WriteFile(filepath.Join(dir, "stat"), stat, 0o644) != nil ||
		os.WriteFile(filepath.Join(dir, "status"), status, 0o644) != nil {
		t.Fatal("write fake proc")
	}
}

func TestProcMonitorSummarise(t *testing.T) {
	root := t.TempDir()
	start := time.Unix(1000, 0)
	clock := start
	m := &procMonitor{reader: procReader{root: root, pid: 4321}, now: func() time.Time { return clock }}
	steps := []struct{ utime, stime, rss, hwm int }{{100, 50, 1000, 1000}, {150, 60, 3000, 3000}, {200, 100, 2000, 3000}}
	for i, s := range steps {
		writeProc(t, root, 4321, s.utime, s.stime, s.rss, s.hwm)
		clock = start.Add(time.Duration(i) * time.Second)
		if !m.take() {
			t.Fatal(m.err)
		}
	}
	r := m.summarise(true)
	// 150 ticks over 2 s of wall time: 1.5 CPU-seconds, 75% of one core.
	if r.CPUSeconds != 1.5 || r.CPUPercent != 75 || r.RSSStartKB != 1000 || r.RSSEndKB != 2000 ||
		r.RSSMaxKB != 3000 || r.VmHWMKB != 3000 || len(r.RSSSeriesKB) != 3 || r.Error != "" {
		t.Fatalf("summary %+v", r)
	}
	if err := os.RemoveAll(filepath.Join(root, "4321")); err != nil {
		t.Fatal(err)
	}
	if m.take() || m.summarise(false).Error == "" {
		t.Fatal("a vanished process must stop sampling with an error")
	}
}
