// Package metrics counts what operators watch: requests by route and status with latency,
// business outcomes (checkouts, payouts, webhooks), queue depths and database latency, in the
// Prometheus exposition format. It uses its own registry, so tests and several app instances in
// one process never share counters.
package metrics

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics holds the collectors.
type Metrics struct {
	Registry  *prometheus.Registry
	requests  *prometheus.CounterVec
	latency   *prometheus.HistogramVec
	outcomes  *prometheus.CounterVec
	gauges    *prometheus.GaugeVec
	dbLatency *prometheus.HistogramVec
}

// New creates the collectors on a fresh registry, with Go runtime and process metrics.
func New() *Metrics {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "http_requests_total", Help: "HTTP requests by route template, method and status."},
			[]string{"route", "method", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "http_request_duration_seconds", Help: "HTTP request latency by route template.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5}},
			[]string{"route", "method"}),
		outcomes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "marketplace_events_total", Help: "Business outcomes: checkouts, payouts, webhooks, e-mails, by result."},
			[]string{"event", "outcome"}),
		gauges: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "marketplace_gauge", Help: "Current values such as queue depths and webhook lag in seconds."},
			[]string{"name"}),
		dbLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "db_ping_duration_seconds", Help: "Database round-trip time measured by the readiness check.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 12)}, []string{"store"}),
	}
	m.Registry.MustRegister(m.requests, m.latency, m.outcomes, m.gauges, m.dbLatency,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// ObserveRequest records one HTTP request.
func (m *Metrics) ObserveRequest(route, method, status string, d time.Duration) {
	if m == nil {
		return
	}
	m.requests.WithLabelValues(route, method, status).Inc()
	m.latency.WithLabelValues(route, method).Observe(d.Seconds())
}

// Count records n business outcomes, e.g. Count("checkout", "created", 1).
func (m *Metrics) Count(event, outcome string, n int) {
	if m == nil || n <= 0 {
		return
	}
	m.outcomes.WithLabelValues(event, outcome).Add(float64(n))
}

// Set records a current value, e.g. Set("payout_queue_depth", 3).
func (m *Metrics) Set(name string, v float64) {
	if m == nil {
		return
	}
	m.gauges.WithLabelValues(name).Set(v)
}

// ObserveDB records a database round trip.
func (m *Metrics) ObserveDB(store string, d time.Duration) {
	if m == nil {
		return
	}
	m.dbLatency.WithLabelValues(store).Observe(d.Seconds())
}

// Handler serves the metrics. When token is set, requests must carry it as a bearer token.
func (m *Metrics) Handler(token string) http.Handler {
	h := promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{})
	if token == "" {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+token {
			w.Header().Set("WWW-Authenticate", "Bearer")
			http.Error(w, "metrics need Authorization: Bearer <METRICS_TOKEN>", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	})
}
