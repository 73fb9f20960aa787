package main

import (
	"context"
	"runtime"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/keapsync/keapsync/jobs"
	"github.com/keapsync/keapsync/keap"
)

// promMetrics counts what the pipeline reports (jobs.Metrics) as
// Prometheus metrics. Labels are account and stream names, HTTP statuses,
// causes and outcomes: never a key, a token or a record.
type promMetrics struct {
	calls        *prometheus.CounterVec
	callDuration *prometheus.HistogramVec
	callLateness *prometheus.HistogramVec
	rateLimited  *prometheus.CounterVec
	pages        *prometheus.CounterVec
	rows         *prometheus.CounterVec
	pageFetch    *prometheus.HistogramVec
	pageCommit   *prometheus.HistogramVec
	snoozes      *prometheus.CounterVec
	snoozedUntil *prometheus.GaugeVec
	jobDuration  *prometheus.HistogramVec
}

var _ jobs.Metrics = (*promMetrics)(nil)

// newPromMetrics registers the pipeline's metrics, and Go's and the
// process's, on reg.
func newPromMetrics(reg prometheus.Registerer) *promMetrics {
	m := &promMetrics{
		calls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "keapsync_keap_calls_total",
			Help: "Keap API calls by account, stream and outcome: the HTTP status, \"error\" when no response arrived, \"refused\" when the quota governor refused the call without sending it, \"held_back\" when it was about to leave later after its slot than the quota's margins allow and took a new slot instead (Keap never saw it).",
		}, []string{"account", "stream", "status"}),
		callDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "keapsync_keap_call_duration_seconds",
			Help:    "Duration of Keap API calls that were sent, from request to the whole body read.",
			Buckets: []float64{0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60},
		}, []string{"account"}),
		callLateness: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "keapsync_keap_call_lateness_seconds",
			Help:    "How late after its quota slot each call was about to be written: a busy machine's delay, which the spacing margin (default 100ms) absorbs; later calls are held back.",
			Buckets: []float64{0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1},
		}, []string{"account"}),
		rateLimited: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "keapsync_keap_rate_limited_total",
			Help: "Keap 429 responses by account and cause: spike, minute, day, tenant or unknown.",
		}, []string{"account", "cause"}),
		pages: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "keapsync_pages_total",
			Help: "Pages committed to the warehouse, by account and stream.",
		}, []string{"account", "stream"}),
		rows: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "keapsync_rows_total",
			Help: "Rows of committed pages by account, stream and outcome: inserted, updated, unchanged, deleted, or problems (fields that could not be typed).",
		}, []string{"account", "stream", "outcome"}),
		pageFetch: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "keapsync_page_fetch_seconds",
			Help:    "Time to fetch a page from Keap, quota waits included.",
			Buckets: []float64{0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60},
		}, []string{"account", "stream"}),
		pageCommit: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "keapsync_page_commit_seconds",
			Help:    "Time to write a page, its checkpoint and its job completion in one transaction.",
			Buckets: []float64{0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5},
		}, []string{"account", "stream"}),
		snoozes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "keapsync_snoozes_total",
			Help: "Page jobs put to sleep until the quota allows, by account, stream and window (second, minute, day, tenant).",
		}, []string{"account", "stream", "window"}),
		snoozedUntil: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "keapsync_snoozed_until_timestamp_seconds",
			Help: "When the latest snoozed page job of each account and stream wakes (Unix time).",
		}, []string{"account", "stream"}),
		jobDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "keapsync_job_duration_seconds",
			Help:    "Duration of job attempts by kind and outcome (completed, snoozed, retry, cancelled, stale).",
			Buckets: []float64{0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120},
		}, []string{"kind", "outcome"}),
	}
	buildInfo := prometheus.NewGauge(prometheus.GaugeOpts{
		Name:        "keapsync_build_info",
		Help:        "Always 1; its labels describe the running binary.",
		ConstLabels: prometheus.Labels{"version": buildVersion(), "goversion": runtime.Version()},
	})
	buildInfo.Set(1)
	reg.MustRegister(m.calls, m.callDuration, m.callLateness, m.rateLimited, m.pages, m.rows, m.pageFetch, m.pageCommit,
		m.snoozes, m.snoozedUntil, m.jobDuration, buildInfo,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// startAccounts gives every account its rate-limit series at 0, so a
// rule's increase() sees the first 429 (a series born at 1 shows none).
func (m *promMetrics) startAccounts(accounts []string) {
	for _, a := range accounts {
		for _, cause := range keap.RateLimitCauses {
			m.rateLimited.WithLabelValues(a, string(cause))
		}
	}
}

// Call counts a Keap call.
func (m *promMetrics) Call(account string, c keap.Call) {
	status := strconv.Itoa(c.Status)
	switch {
	case c.Refused:
		status = "refused"
	case c.HeldBack:
		status = "held_back"
	case c.Status == 0:
		status = "error"
	}
	stream := c.Stream
	if stream == "" {
		stream = "other"
	}
	m.calls.WithLabelValues(account, stream, status).Inc()
	if !c.Refused {
		m.callLateness.WithLabelValues(account).Observe(c.Lateness.Seconds())
	}
	if !c.Refused && !c.HeldBack {
		m.callDuration.WithLabelValues(account).Observe(c.Duration.Seconds())
	}
	if c.RateLimit != "" {
		m.rateLimited.WithLabelValues(account, string(c.RateLimit)).Inc()
	}
}

// Page counts a committed page.
func (m *promMetrics) Page(account, stream string, p jobs.PageStats) {
	m.pages.WithLabelValues(account, stream).Inc()
	for _, o := range []struct {
		outcome string
		n       int
	}{{"inserted", p.Inserted}, {"updated", p.Updated}, {"unchanged", p.Unchanged}, {"deleted", p.Deleted}, {"problems", p.Problems}} {
		m.rows.WithLabelValues(account, stream, o.outcome).Add(float64(o.n))
	}
	m.pageFetch.WithLabelValues(account, stream).Observe(p.Fetch.Seconds())
	m.pageCommit.WithLabelValues(account, stream).Observe(p.Commit.Seconds())
}

// Snoozed counts a page job waiting for quota.
func (m *promMetrics) Snoozed(account, stream, window string, until time.Time) {
	m.snoozes.WithLabelValues(account, stream, window).Inc()
	m.snoozedUntil.WithLabelValues(account, stream).Set(float64(until.Unix()))
}

// JobDone times a job attempt.
func (m *promMetrics) JobDone(kind, outcome string, d time.Duration) {
	m.jobDuration.WithLabelValues(shortKind(kind), outcome).Observe(d.Seconds())
}

// statusCollector reads the pipeline's status from the database on each
// scrape: the quota per account and window, each stream's rows, state,
// last success and lag, and River's jobs by state.
type statusCollector struct {
	p       *jobs.Pipeline
	timeout time.Duration

	// The status costs a few indexed queries per stream (the row counts
	// are kept by triggers): scrapes within statusMaxAge of the last reuse
	// it.
	mu       sync.Mutex
	cached   jobs.Status
	cachedAt time.Time

	up, quotaUsed, quotaLimit, quotaAvailable, quotaReset *prometheus.Desc
	rows, state, lastSuccess, lag, pausedUntil, jobs      *prometheus.Desc
	stale, interval, workers, incidents, runDuration      *prometheus.Desc
}

func newStatusCollector(p *jobs.Pipeline) *statusCollector {
	return &statusCollector{
		p: p, timeout: 10 * time.Second,
		up: prometheus.NewDesc("keapsync_status_up",
			"1 when the last scrape read keapsync's status from the database, 0 when it failed.", nil, nil),
		quotaUsed: prometheus.NewDesc("keapsync_quota_used",
			"Keap API calls counted in the current window (day or minute) by every process sharing the account's quota.", []string{"account", "window"}, nil),
		quotaLimit: prometheus.NewDesc("keapsync_quota_limit",
			"The window's limit keapsync keeps to: configured, tightened by what Keap reported, the day's less the reserve.", []string{"account", "window"}, nil),
		quotaAvailable: prometheus.NewDesc("keapsync_quota_available",
			"Calls left in the window.", []string{"account", "window"}, nil),
		quotaReset: prometheus.NewDesc("keapsync_quota_reset_timestamp_seconds",
			"When the account's daily quota resets (Unix time).", []string{"account"}, nil),
		rows: prometheus.NewDesc("keapsync_stream_rows",
			"Live (not soft-deleted) rows of the stream in the warehouse.", []string{"account", "stream"}, nil),
		state: prometheus.NewDesc("keapsync_stream_state",
			"1 for the state of the stream's latest sync run (never, running, paused_quota, succeeded, failed), 0 for the others.", []string{"account", "stream", "state"}, nil),
		lastSuccess: prometheus.NewDesc("keapsync_stream_last_success_timestamp_seconds",
			"When the stream's last successful sync finished (Unix time).", []string{"account", "stream"}, nil),
		lag: prometheus.NewDesc("keapsync_sync_lag_seconds",
			"Seconds since the stream's last successful sync finished.", []string{"account", "stream"}, nil),
		pausedUntil: prometheus.NewDesc("keapsync_stream_paused_until_timestamp_seconds",
			"When the stream's run, paused for quota, resumes (Unix time).", []string{"account", "stream"}, nil),
		jobs: prometheus.NewDesc("keapsync_jobs",
			"keapsync's River jobs by state.", []string{"state"}, nil),
		stale: prometheus.NewDesc("keapsync_stream_stale",
			"1 when the stream's last success is older than its account's schedule allows (an interval and a half, at least an interval and an hour), else 0.", []string{"account", "stream"}, nil),
		interval: prometheus.NewDesc("keapsync_schedule_interval_seconds",
			"Seconds between two scheduled syncs of the account (absent when it syncs only on demand).", []string{"account"}, nil),
		workers: prometheus.NewDesc("keapsync_workers",
			"Live processes working the account's jobs (keapsync work, sync --wait), by their heartbeats.", []string{"account"}, nil),
		runDuration: prometheus.NewDesc("keapsync_run_duration_seconds",
			"How long the stream's latest run of the kind (sync, reconcile) took, or has taken so far while it is active.", []string{"account", "stream", "kind"}, nil),
		incidents: prometheus.NewDesc("keapsync_incidents_open",
			"Open incidents (what notifications tell of) by kind: run_failed, job_discarded, key_rejected, stale.", []string{"account", "kind"}, nil),
	}
}

// statusMaxAge is how long a status read for a scrape serves the next ones.
const statusMaxAge = 10 * time.Second

// status returns the status, read again when the cached one is older than
// statusMaxAge.
func (c *statusCollector) status() (jobs.Status, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.cachedAt.IsZero() && time.Since(c.cachedAt) < statusMaxAge {
		return c.cached, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	st, err := c.p.Status(ctx, "")
	if err != nil {
		return jobs.Status{}, err
	}
	c.cached, c.cachedAt = st, time.Now()
	return st, nil
}

// Describe sends the descriptors.
func (c *statusCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.up, c.quotaUsed, c.quotaLimit, c.quotaAvailable, c.quotaReset,
		c.rows, c.state, c.lastSuccess, c.lag, c.pausedUntil, c.jobs, c.stale, c.interval, c.workers, c.incidents, c.runDuration} {
		ch <- d
	}
}

var streamStates = []string{jobs.StateNever, jobs.StateRunning, jobs.StatePausedQuota, jobs.StatePaused, jobs.StateSucceeded, jobs.StateFailed}

// Collect reads the status and sends it.
func (c *statusCollector) Collect(ch chan<- prometheus.Metric) {
	st, err := c.status()
	if err != nil {
		ch <- prometheus.MustNewConstMetric(c.up, prometheus.GaugeValue, 0)
		return
	}
	ch <- prometheus.MustNewConstMetric(c.up, prometheus.GaugeValue, 1)
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	for _, as := range st.Accounts {
		q := as.Quota
		gauge(c.quotaUsed, float64(q.DayUsed), as.Account, "day")
		gauge(c.quotaUsed, float64(q.MinuteUsed), as.Account, "minute")
		if q.DayLimit >= 0 {
			gauge(c.quotaLimit, float64(q.DayLimit), as.Account, "day")
			gauge(c.quotaAvailable, float64(q.DayLeft), as.Account, "day")
		}
		if q.MinuteLimit >= 0 {
			gauge(c.quotaLimit, float64(q.MinuteLimit), as.Account, "minute")
			gauge(c.quotaAvailable, float64(max(q.MinuteLimit-q.MinuteUsed, 0)), as.Account, "minute")
		}
		if q.ResetAt != nil {
			gauge(c.quotaReset, float64(q.ResetAt.Unix()), as.Account)
		}
		if as.ScheduleInterval > 0 {
			gauge(c.interval, as.ScheduleInterval, as.Account)
		}
		gauge(c.workers, float64(as.Workers), as.Account)
		open := map[string]int{}
		for _, in := range as.Incidents {
			open[in.Kind]++
		}
		for _, kind := range jobs.IncidentKinds {
			gauge(c.incidents, float64(open[kind]), as.Account, kind)
		}
		for _, ss := range as.Streams {
			gauge(c.rows, float64(ss.Rows), as.Account, ss.Stream)
			for _, s := range streamStates {
				v := 0.0
				if s == ss.State {
					v = 1
				}
				gauge(c.state, v, as.Account, ss.Stream, s)
			}
			if ss.LastSuccessAt != nil {
				gauge(c.lastSuccess, float64(ss.LastSuccessAt.Unix()), as.Account, ss.Stream)
				gauge(c.lag, st.GeneratedAt.Sub(*ss.LastSuccessAt).Seconds(), as.Account, ss.Stream)
			}
			stale := 0.0
			if ss.Stale {
				stale = 1
			}
			gauge(c.stale, stale, as.Account, ss.Stream)
			for _, run := range []*jobs.Run{ss.Run, ss.Reconcile} {
				if run == nil {
					continue
				}
				end := st.GeneratedAt
				if !run.FinishedAt.IsZero() {
					end = run.FinishedAt
				}
				gauge(c.runDuration, max(end.Sub(run.StartedAt).Seconds(), 0), as.Account, ss.Stream, string(run.Kind))
			}
			if ss.PausedUntil != nil {
				gauge(c.pausedUntil, float64(ss.PausedUntil.Unix()), as.Account, ss.Stream)
			}
		}
	}
	for _, state := range jobs.JobStates {
		gauge(c.jobs, float64(st.Jobs[state]), state)
	}
}

// buildVersion is the binary's version for build_info.
func buildVersion() string {
	if version != "" {
		return version
	}
	return "(devel)"
}
