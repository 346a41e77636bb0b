package main

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

const sampleExposition = `# HELP go_gc_duration_seconds A summary of the wall-time pause.
# TYPE go_gc_duration_seconds summary
go_gc_duration_seconds{quantile="0"} 1.5e-05
# HELP go_goroutines Number of goroutines that currently exist.
# TYPE go_goroutines gauge
go_goroutines 12
go_goroutines_extra 99
# TYPE process_resident_memory_bytes gauge
process_resident_memory_bytes 2.4383488e+07
`

func TestParseMetrics(t *testing.T) {
	tests := []struct {
		name           string
		text           string
		wantGoroutines float64
		wantResident   float64
		wantErr        error
	}{
		{"client_golang output", sampleExposition, 12, 24383488, nil},
		{"labels, timestamps, tabs and CRLF", "go_goroutines{a=\"x y}\"} 7 1700000000\r\n" +
			"process_resident_memory_bytes\t1024\r\n", 7, 1024, nil},
		{"first sample wins", "go_goroutines 3\ngo_goroutines 4\nprocess_resident_memory_bytes 1\n", 3, 1, nil},
		{"no goroutines", "process_resident_memory_bytes 1\n", 0, 0, errNoMetric},
		{"no resident memory", "go_goroutines 1\n", 0, 0, errNoMetric},
		{"empty", "", 0, 0, errNoMetric},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := parseMetrics(strings.NewReader(tt.text))
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if s.goroutines != tt.wantGoroutines || s.residentBytes != tt.wantResident {
				t.Errorf("got %+v, want %v and %v", s, tt.wantGoroutines, tt.wantResident)
			}
		})
	}
	if _, err := parseMetrics(strings.NewReader("go_goroutines lots\n")); err == nil {
		t.Error("a value that is not a number must be an error")
	}
}

func TestMetricLine(t *testing.T) {
	tests := []struct {
		name, line, wantName, wantValue string
		wantOK                          bool
	}{
		{"plain", "go_goroutines 12", "go_goroutines", "12", true},
		{"labels", `x{a="1",b="2"} 3.5`, "x", "3.5", true},
		{"comment", "# TYPE x gauge", "", "", false},
		{"blank", "   ", "", "", false},
		{"name only", "go_goroutines", "", "", false},
		{"unclosed labels", `x{a="1" 3`, "", "", false},
		{"labels without value", `x{a="1"}`, "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name, value, ok := metricLine(tt.line)
			if name != tt.wantName || value != tt.wantValue || ok != tt.wantOK {
				t.Errorf("metricLine(%q) = %q, %q, %v", tt.line, name, value, ok)
			}
		})
	}
}

func TestCheckMetricsURL(t *testing.T) {
	tests := []struct {
		name   string
		url    string
		remote bool
		ok     bool
	}{
		{"loopback", "http://127.0.0.1:9812/metrics", false, true},
		{"ipv6 loopback", "http://[::1]:9812/metrics", false, true},
		{"localhost", "https://localhost/metrics", false, true},
		{"remote refused", "http://192.0.2.1:9812/metrics", false, false},
		{"name refused", "http://metrics.example.org/metrics", false, false},
		{"remote allowed", "http://192.0.2.1:9812/metrics", true, true},
		{"not http", "ftp://127.0.0.1/metrics", false, false},
		{"unparsable", "http://[::1/metrics", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := checkMetricsURL(tt.url, tt.remote)
			var ue usageError
			if (err == nil) != tt.ok || (err != nil && !errors.As(err, &ue)) {
				t.Errorf("checkMetricsURL(%q, %v) = %v", tt.url, tt.remote, err)
			}
		})
	}
}

// metricsServer serves an exposition whose goroutine count rises by one
// at each scrape.
func metricsServer(t *testing.T) *httptest.Server {
	t.Helper()
	n := 10
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/metrics" {
			http.NotFound(w, r)
			return
		}
		n++
		fmt.Fprintf(w, "# TYPE go_goroutines gauge\ngo_goroutines %d\nprocess_resident_memory_bytes %d\n", n, n<<20)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestMetricsProbe(t *testing.T) {
	srv := metricsServer(t)
	cfg := runConfig{metricsURL: srv.URL + "/metrics"}
	p, err := startMetrics(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	r := p.stop(t.Context())
	if r.GoroutinesStart != 11 || r.GoroutinesEnd != 12 || r.ResidentBytesStart != 11<<20 ||
		r.ResidentBytesEnd != 12<<20 || r.Error != "" || r.URL != cfg.metricsURL {
		t.Errorf("report %+v", r)
	}
	if _, err := startMetrics(t.Context(), runConfig{metricsURL: srv.URL + "/nothing"}); err == nil {
		t.Error("a 404 at the first scrape must fail the run")
	}
	if p, err := startMetrics(t.Context(), runConfig{}); p != nil || err != nil || p.stop(t.Context()) != nil {
		t.Errorf("no URL: probe %v, err %v", p, err)
	}
}
