package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Scraping a Prometheus text endpoint (--metrics-url).
const (
	scrapeTimeout    = 5 * time.Second
	maxScrapeBytes   = 16 << 20
	metricGoroutines = "go_goroutines"
	metricResident   = "process_resident_memory_bytes"
)

var errNoMetric = errors.New("radload: metric not found")

// metricSample holds the two gauges radload reads from a scrape.
type metricSample struct {
	goroutines    float64
	residentBytes float64
}

// checkMetricsURL refuses anything but an http(s) URL on a loopback host
// unless allowRemote is set.
func checkMetricsURL(raw string, allowRemote bool) error {
	u, err := url.Parse(raw)
	if err != nil {
		return usageError{fmt.Errorf("radload: --metrics-url: %w", err)}
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return usagef("radload: --metrics-url %q must be an http:// or https:// URL", raw)
	}
	host := u.Hostname()
	if allowRemote || host == "localhost" || isLoopback(net.ParseIP(host)) {
		return nil
	}
	return usagef("radload: refusing non-loopback --metrics-url %s (give --allow-remote only for a server you run)", raw)
}

// scrape fetches url and reads go_goroutines and
// process_resident_memory_bytes from its Prometheus text exposition.
func scrape(ctx context.Context, client *http.Client, url string) (metricSample, error) {
	ctx, cancel := context.WithTimeout(ctx, scrapeTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return metricSample{}, fmt.Errorf("radload: scrape: %w", err)
	}
	resp, err := client.Do(req)
	if err != nil {
		return metricSample{}, fmt.Errorf("radload: scrape: %w", err)
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		return metricSample{}, fmt.Errorf("radload: scrape: status %s", resp.Status)
	}
	return parseMetrics(io.LimitReader(resp.Body, maxScrapeBytes))
}

// parseMetrics reads the two gauges from a Prometheus text exposition. It
// skips comments and every other series, and takes the first sample of
// each gauge (they carry no labels in client_golang's collectors).
func parseMetrics(r io.Reader) (metricSample, error) {
	var s metricSample
	var seen int
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() && seen != 3 {
		name, value, ok := metricLine(sc.Text())
		bit := metricBit(name)
		if !ok || bit == 0 || seen&bit != 0 {
			continue
		}
		v, err := strconv.ParseFloat(value, 64)
		if err != nil {
			return metricSample{}, fmt.Errorf("radload: scrape: %s: %w", name, err)
		}
		if bit == 1 {
			s.goroutines = v
		} else {
			s.residentBytes = v
		}
		seen |= bit
	}
	if err := sc.Err(); err != nil {
		return metricSample{}, fmt.Errorf("radload: scrape: %w", err)
	}
	switch {
	case seen&1 == 0:
		return metricSample{}, fmt.Errorf("%w: %s", errNoMetric, metricGoroutines)
	case seen&2 == 0:
		return metricSample{}, fmt.Errorf("%w: %s", errNoMetric, metricResident)
	}
	return s, nil
}

// metricBit returns parseMetrics's bit for a gauge it reads, or 0.
func metricBit(name string) int {
	switch name {
	case metricGoroutines:
		return 1
	case metricResident:
		return 2
	}
	return 0
}

// metricLine splits a sample line "name{labels} value [timestamp]" into
// its name and value; ok is false for comments, blank and malformed lines.
func metricLine(line string) (name, value string, ok bool) {
	line = strings.TrimSpace(line)
	if line == "" || line[0] == '#' {
		return "", "", false
	}
	end := strings.IndexAny(line, " \t{")
	if end <= 0 {
		return "", "", false
	}
	name, rest := line[:end], line[end:]
	if rest[0] == '{' {
		i := strings.LastIndexByte(rest, '}')
		if i < 0 {
			return "", "", false
		}
		rest = rest[i+1:]
	}
	f := strings.Fields(rest)
	if len(f) == 0 {
		return "", "", false
	}
	return name, f[0], true
}

// metricsReport gives the server's own gauges at the start and the end of
// a run.
type metricsReport struct {
	URL                string  `json:"url"`
	GoroutinesStart    float64 `json:"go_goroutines_start"`
	GoroutinesEnd      float64 `json:"go_goroutines_end"`
	ResidentBytesStart float64 `json:"process_resident_memory_bytes_start"`
	ResidentBytesEnd   float64 `json:"process_resident_memory_bytes_end"`
	Error              string  `json:"error,omitempty"`
}

// metricsProbe scrapes --metrics-url at the start and end of a run.
type metricsProbe struct {
	url    string
	shown  string // url without any password, for the report
	client *http.Client
	start  metricSample
}

// startMetrics takes the first scrape; it returns nil when no URL was given
// and an error when the first scrape fails (the URL is likely wrong).
func startMetrics(ctx context.Context, cfg runConfig) (*metricsProbe, error) {
	if cfg.metricsURL == "" {
		return nil, nil
	}
	p := &metricsProbe{url: cfg.metricsURL, shown: cfg.metricsURL, client: &http.Client{Timeout: scrapeTimeout}}
	if u, err := url.Parse(cfg.metricsURL); err == nil {
		p.shown = u.Redacted()
	}
	s, err := scrape(ctx, p.client, p.url)
	if err != nil {
		return nil, err
	}
	p.start = s
	return p, nil
}

// stop takes the last scrape and reports both; a failed last scrape is
// reported in the Error field. A nil probe returns nil.
func (p *metricsProbe) stop(ctx context.Context) *metricsReport {
	if p == nil {
		return nil
	}
	r := &metricsReport{URL: p.shown, GoroutinesStart: p.start.goroutines, ResidentBytesStart: p.start.residentBytes}
	end, err := scrape(context.WithoutCancel(ctx), p.client, p.url)
	if err != nil {
		r.Error = err.Error()
		return r
	}
	r.GoroutinesEnd, r.ResidentBytesEnd = end.goroutines, end.residentBytes
	return r
}
