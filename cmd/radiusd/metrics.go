package main

import (
	"context"
	"errors"
	"net"
	"net/http"
	"runtime"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"radiusd/auth"
	"radiusd/directory"
	"radiusd/store"
)

// metrics are the Prometheus series of one process. Label values are
// client names, modes, results, reasons and operation names: never a user
// name or a secret.
type metrics struct {
	reg        *prometheus.Registry
	requests   *prometheus.CounterVec
	latency    *prometheus.HistogramVec
	drops      *prometheus.CounterVec
	duplicates prometheus.Counter
	status     prometheus.Counter
	directory  *prometheus.HistogramVec
	store      *prometheus.HistogramVec
	lockouts   prometheus.Counter
	codesSent  *prometheus.CounterVec
	signins    *prometheus.CounterVec
	adminActs  *prometheus.CounterVec
	decisions  sync.Map // decisionKey → prometheus.Counter
}

// latencyBuckets span 0.25 ms to 5 s.
var latencyBuckets = prometheus.ExponentialBuckets(0.00025, 2.5, 11)

func newMetrics() *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "radiusd_requests_total",
			Help: "Decided Access-Requests by client, mode, result and reason."}, []string{"client", "mode", "result", "reason"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "radiusd_request_duration_seconds",
			Help: "Time to decide an Access-Request.", Buckets: latencyBuckets}, []string{"result"}),
		drops: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "radiusd_dropped_packets_total",
			Help: "Packets silently discarded, by reason."}, []string{"reason"}),
		duplicates: prometheus.NewCounter(prometheus.CounterOpts{Name: "radiusd_duplicate_requests_total",
			Help: "Retransmissions answered from the duplicate cache (RFC 5080)."}),
		status: prometheus.NewCounter(prometheus.CounterOpts{Name: "radiusd_status_server_total",
			Help: "Status-Server requests answered."}),
		directory: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "radiusd_directory_duration_seconds",
			Help: "Directory operations by operation and outcome.", Buckets: latencyBuckets}, []string{"op", "outcome"}),
		store: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "radiusd_store_duration_seconds",
			Help: "Store operations of the request path by operation and outcome.", Buckets: latencyBuckets}, []string{"op", "outcome"}),
		lockouts: prometheus.NewCounter(prometheus.CounterOpts{Name: "radiusd_lockouts_total",
			Help: "Failed second factors that left the user locked out."}),
		codesSent: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "radiusd_codes_sent_total",
			Help: "Codes sent by e-mail or SMS, by channel and result (sent or failed)."}, []string{"channel", "result"}),
		signins: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "radiusd_portal_signins_total",
			Help: "Portal sign-in attempts by result (ok, refused, limited, error) and reason."}, []string{"result", "reason"}),
		adminActs: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "radiusd_portal_admin_actions_total",
			Help: "Admin actions in the portal, by action."}, []string{"action"}),
	}
	build := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "radiusd_build_info",
		Help: "Always 1; the labels say which build runs."}, []string{"version", "goversion"})
	build.WithLabelValues(version(), runtime.Version()).Set(1)
	m.reg.MustRegister(m.requests, m.latency, m.drops, m.duplicates, m.status, m.directory, m.store, m.lockouts, m.codesSent, m.signins, m.adminActs, build,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// SignIn implements portal.Observer.
func (m *metrics) SignIn(result, reason string) { m.signins.WithLabelValues(result, reason).Inc() }

// AdminAction implements portal.Observer.
func (m *metrics) AdminAction(action string) { m.adminActs.WithLabelValues(action).Inc() }

// Decision implements radiussrv.Observer. The counter of each label set is
// looked up once and kept, so the request path does not hash labels.
func (m *metrics) Decision(client string, mode auth.Mode, result auth.Result, reason string, elapsed time.Duration) {
	k := decisionKey{client, mode, result, reason}
	c, ok := m.decisions.Load(k)
	if !ok {
		c, _ = m.decisions.LoadOrStore(k, m.requests.WithLabelValues(client, string(mode), result.String(), reason))
	}
	c.(prometheus.Counter).Inc()
	m.latency.WithLabelValues(result.String()).Observe(elapsed.Seconds())
}

// decisionKey is the label set of one radiusd_requests_total series.
type decisionKey struct {
	client string
	mode   auth.Mode
	result auth.Result
	reason string
}

// Drop implements radiussrv.Observer.
func (m *metrics) Drop(reason string) { m.drops.WithLabelValues(reason).Inc() }

// Duplicate implements radiussrv.Observer.
func (m *metrics) Duplicate() { m.duplicates.Inc() }

// StatusServer implements radiussrv.Observer.
func (m *metrics) StatusServer() { m.status.Inc() }

// outcome names an error for a label: ok, a sentinel's meaning, or error.
func outcome(err error) string {
	switch {
	case err == nil:
		return "ok"
	case errors.Is(err, directory.ErrInvalidCredentials), errors.Is(err, directory.ErrNotFound),
		errors.Is(err, directory.ErrDisabled), errors.Is(err, store.ErrNotFound), errors.Is(err, store.ErrReplay):
		return "refused"
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return "timeout"
	}
	return "error"
}

// observe records how long an operation that began at start took.
func observe(h *prometheus.HistogramVec, op string, start time.Time, err error) {
	h.WithLabelValues(op, outcome(err)).Observe(time.Since(start).Seconds())
}

// timedDirectory times the decision logic's directory calls.
type timedDirectory struct {
	auth.Directory
	m *metrics
}

func (d timedDirectory) Authenticate(ctx context.Context, name, password string) (directory.User, error) {
	start := time.Now()
	u, err := d.Directory.Authenticate(ctx, name, password)
	observe(d.m.directory, "authenticate", start, err)
	return u, err
}

func (d timedDirectory) Lookup(ctx context.Context, name string) (directory.User, error) {
	start := time.Now()
	u, err := d.Directory.Lookup(ctx, name)
	observe(d.m.directory, "lookup", start, err)
	return u, err
}

// timedStore times the decision logic's store calls and counts lockouts.
type timedStore struct {
	auth.Store
	m *metrics
}

func (s timedStore) Get(ctx context.Context, name string) (store.User, error) {
	start := time.Now()
	u, err := s.Store.Get(ctx, name)
	observe(s.m.store, "get", start, err)
	return u, err
}

func (s timedStore) AcceptStep(ctx context.Context, name string, step int64, drift int, now time.Time) error {
	start := time.Now()
	err := s.Store.AcceptStep(ctx, name, step, drift, now)
	observe(s.m.store, "accept_step", start, err)
	return err
}

func (s timedStore) RecordFailure(ctx context.Context, name string, f store.Failure) (time.Time, error) {
	start := time.Now()
	until, err := s.Store.RecordFailure(ctx, name, f)
	observe(s.m.store, "record_failure", start, err)
	if err == nil && !until.IsZero() {
		s.m.lockouts.Inc()
	}
	return until, err
}

// readiness checks the backends a request needs.
type readiness func(ctx context.Context) error

// serveMetrics serves /metrics, /healthz (the process answers) and /readyz
// (ready reports nil) on ln until ctx ends.
func serveMetrics(ctx context.Context, ln net.Listener, m *metrics, ready readiness) error {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok\n")) })
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		rctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
		defer cancel()
		if err := ready(rctx); err != nil {
			http.Error(w, "not ready: "+err.Error(), http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte("ready\n"))
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// stateCounter counts users by enrolment state (sqlstore.Store).
type stateCounter interface {
	CountByState(ctx context.Context) (map[store.State]int, error)
}

// usersCollector reports the users by enrolment state at each scrape.
type usersCollector struct {
	st   stateCounter
	desc *prometheus.Desc
}

func (c usersCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c usersCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	counts, err := c.st.CountByState(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(c.desc, err)
		return
	}
	for st, n := range counts {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(n), string(st))
	}
}

// watch adds the series read from the running server at scrape time: the
// users by enrolment state, and the clock offset seen in users' codes.
func (m *metrics) watch(st stateCounter, a *auth.Authenticator) {
	m.reg.MustRegister(
		usersCollector{st: st, desc: prometheus.NewDesc("radiusd_users",
			"Users in the store by enrolment state (none, pending, active).", []string{"state"}, nil)},
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "radiusd_clock_offset_steps",
			Help: "Median TOTP step offset of recently accepted users' codes; away from 0 the server clock is probably off."},
			func() float64 { steps, _ := a.ClockOffset(); return float64(steps) }),
	)
}
