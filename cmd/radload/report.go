package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"
)

// report is the result of a run; its JSON field names are stable.
type report struct {
	Scenario          string         `json:"scenario"`
	Server            string         `json:"server"`
	Concurrency       int            `json:"concurrency"`
	Users             int            `json:"users,omitempty"`
	FirstUser         string         `json:"first_user,omitempty"`
	ElapsedSeconds    float64        `json:"elapsed_seconds"`
	Requests          uint64         `json:"requests"`
	RequestsPerSecond float64        `json:"requests_per_second"`
	Accepts           uint64         `json:"accepts"`
	Rejects           uint64         `json:"rejects"`
	Challenges        uint64         `json:"challenges"`
	Other             uint64         `json:"other"`
	Timeouts          uint64         `json:"timeouts"`
	Invalid           uint64         `json:"invalid"`
	Unexpected        uint64         `json:"unexpected"`
	Errors            uint64         `json:"socket_errors"`
	Retransmits       uint64         `json:"retransmits"`
	Stale             uint64         `json:"stale_replies"`
	DuplicatesCached  uint64         `json:"duplicates_cached"`
	Latency           latencyReport  `json:"latency_ms"`
	StarvedSeconds    float64        `json:"starved_worker_seconds"`
	StarvedPercent    float64        `json:"starved_percent"`
	ServerProcess     *serverReport  `json:"server_process,omitempty"`
	Rate              *rateReport    `json:"rate,omitempty"`
	Mixed             []kindReport   `json:"mixed,omitempty"`
	Metrics           *metricsReport `json:"metrics,omitempty"`
}

// latencyReport holds latency percentiles in milliseconds.
type latencyReport struct {
	P50  float64 `json:"p50"`
	P90  float64 `json:"p90"`
	P99  float64 `json:"p99"`
	Max  float64 `json:"max"`
	Mean float64 `json:"mean"`
}

// ms converts a duration to fractional milliseconds.
func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// mergeCounts adds up the workers' counts.
func mergeCounts(workers []*worker) counts {
	var c counts
	for _, w := range workers {
		c.add(w.c)
	}
	return c
}

// newReport merges the workers' results.
func newReport(cfg runConfig, workers []*worker, elapsed time.Duration, srv *serverReport) *report {
	c := mergeCounts(workers)
	var h histogram
	for _, w := range workers {
		h.merge(&w.hist)
	}
	r := &report{
		Scenario: cfg.scenario, Server: cfg.server, Concurrency: cfg.concurrency,
		ElapsedSeconds: elapsed.Seconds(), Requests: c.requests,
		Accepts: c.accepts, Rejects: c.rejects, Challenges: c.challenges, Other: c.other,
		Timeouts: c.timeouts, Invalid: c.invalid, Unexpected: c.unexpected, Errors: c.errors,
		Retransmits: c.retransmits, Stale: c.stale, DuplicatesCached: c.cached,
		Latency: latencyReport{P50: ms(h.quantile(0.50)), P90: ms(h.quantile(0.90)),
			P99: ms(h.quantile(0.99)), Max: ms(h.max), Mean: ms(h.mean())},
		StarvedSeconds: c.starved.Seconds(), ServerProcess: srv,
	}
	if cfg.scenario != scenStatus {
		r.Users, r.FirstUser = cfg.users, userName(cfg.prefix, cfg.firstUser)
	}
	if cfg.scenario == scenMixed {
		r.Mixed = mixReport(&c)
	}
	if elapsed > 0 {
		r.RequestsPerSecond = float64(c.requests) / elapsed.Seconds()
		r.StarvedPercent = 100 * c.starved.Seconds() / (elapsed.Seconds() * float64(cfg.concurrency))
	}
	return r
}

// write prints the report as text or, with asJSON, as one JSON object.
func (r *report) write(w io.Writer, asJSON bool) error {
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		if err := enc.Encode(r); err != nil {
			return fmt.Errorf("radload: write report: %w", err)
		}
		return nil
	}
	if _, err := io.WriteString(w, r.text()); err != nil {
		return fmt.Errorf("radload: write report: %w", err)
	}
	return nil
}

// text renders the report for a terminal.
func (r *report) text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "scenario   %s\n", describe(r.Scenario))
	fmt.Fprintf(&b, "server     %s  concurrency %d  elapsed %.2fs\n", r.Server, r.Concurrency, r.ElapsedSeconds)
	if r.Users > 0 {
		fmt.Fprintf(&b, "users      %d from %s\n", r.Users, r.FirstUser)
	}
	fmt.Fprintf(&b, "requests   %d  (%.1f req/s)\n", r.Requests, r.RequestsPerSecond)
	fmt.Fprintf(&b, "replies    accept %d  reject %d  challenge %d  other %d\n",
		r.Accepts, r.Rejects, r.Challenges, r.Other)
	fmt.Fprintf(&b, "problems   timeout %d  invalid %d  unexpected %d  socket-errors %d\n",
		r.Timeouts, r.Invalid, r.Unexpected, r.Errors)
	fmt.Fprintf(&b, "transport  retransmits %d  stale %d  duplicates-cached %d\n",
		r.Retransmits, r.Stale, r.DuplicatesCached)
	fmt.Fprintf(&b, "latency    p50 %.3fms  p90 %.3fms  p99 %.3fms  max %.3fms  mean %.3fms\n",
		r.Latency.P50, r.Latency.P90, r.Latency.P99, r.Latency.Max, r.Latency.Mean)
	fmt.Fprintf(&b, "starved    %.2f worker-seconds (%.1f%% of worker time)%s\n",
		r.StarvedSeconds, r.StarvedPercent, starvedHint(r.StarvedPercent))
	if s := r.ServerProcess; s != nil {
		writeServer(&b, s)
	}
	writeExtras(&b, r)
	return b.String()
}

// writeExtras renders the pacing, the mixed scenario's kinds and the
// scraped metrics, each when present.
func writeExtras(b *strings.Builder, r *report) {
	if p := r.Rate; p != nil {
		fmt.Fprintf(b, "rate       target %g/s  scheduled %d  sent %d  missed %d (every worker busy)  late %d (over %s behind)\n",
			p.Target, p.Scheduled, p.Sent, p.Missed, p.Late, lateAfter)
	}
	for _, k := range r.Mixed {
		fmt.Fprintf(b, "mixed      %-10s expects %-13s requests %d  wrong %d  timeouts %d\n",
			k.Kind, k.Expect, k.Requests, k.Wrong, k.Timeouts)
	}
	if m := r.Metrics; m != nil {
		fmt.Fprintf(b, "metrics    go_goroutines %.0f → %.0f  process_resident_memory_bytes %.1f → %.1f MiB\n",
			m.GoroutinesStart, m.GoroutinesEnd, m.ResidentBytesStart/(1<<20), m.ResidentBytesEnd/(1<<20))
		if m.Error != "" {
			fmt.Fprintf(b, "metrics    last scrape failed: %s\n", m.Error)
		}
	}
}

// starvedHint suggests more users when workers waited for fresh codes.
func starvedHint(pct float64) string {
	if pct < 1 {
		return ""
	}
	return ": too few users for this rate, raise --users (and gen-users --count)"
}

// writeServer renders the server-process part of the report.
func writeServer(b *strings.Builder, s *serverReport) {
	fmt.Fprintf(b, "server-cpu pid %d  %.2fs CPU  %.1f%% of one core\n", s.PID, s.CPUSeconds, s.CPUPercent)
	fmt.Fprintf(b, "server-rss start %d kB  end %d kB  max sampled %d kB  VmHWM %d kB  (%d samples)\n",
		s.RSSStartKB, s.RSSEndKB, s.RSSMaxKB, s.VmHWMKB, s.Samples)
	if len(s.RSSSeriesKB) > 0 {
		parts := make([]string, len(s.RSSSeriesKB))
		for i, v := range s.RSSSeriesKB {
			parts[i] = fmt.Sprint(v)
		}
		fmt.Fprintf(b, "rss-series kB, one per second: %s\n", strings.Join(parts, " "))
	}
	if s.Error != "" {
		fmt.Fprintf(b, "server-err sampling stopped: %s\n", s.Error)
	}
}
