package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"riverqueue.com/riverui"

	"github.com/keapsync/keapsync/jobs"
)

// readyCacheFor is how long a /readyz answer is reused, so probes (and
// anyone on the network: /readyz needs no token) cannot load the database.
const readyCacheFor = time.Second

// serverDeps are what the HTTP server shows.
type serverDeps struct {
	pipeline *jobs.Pipeline
	registry *prometheus.Registry
	token    string
	log      *slog.Logger
	// ready checks the database and its migrations.
	ready func(ctx context.Context) error
	now   func() time.Time
}

// newHandler serves keapsync's HTTP endpoints:
//
//	/healthz   200 while the process runs (no token needed)
//	/readyz    200 when the database answers and is migrated, else 503 (no token needed)
//	/metrics   Prometheus metrics
//	/status    the status as JSON (keapsync status --json)
//	/riverui/  River UI: jobs and queues, retry and cancel in a browser
//
// With a token configured, every endpoint but /healthz and /readyz needs
// it. The River UI handler is started on ctx and stops with it.
func newHandler(ctx context.Context, d serverDeps) (http.Handler, error) {
	ui, err := riverui.NewHandler(&riverui.HandlerOpts{
		Endpoints: riverui.NewEndpoints(d.pipeline.River(), nil),
		Logger:    d.log.With(slog.String("component", "riverui")),
		Prefix:    "/riverui",
	})
	if err != nil {
		return nil, fmt.Errorf("river ui: %w", err)
	}
	if err := ui.Start(ctx); err != nil {
		return nil, fmt.Errorf("river ui: %w", err)
	}
	auth := newAuthenticator(d.token, d.now)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ok")
	})
	mux.Handle("GET /readyz", newReadyHandler(d.ready, d.now))
	mux.Handle("GET /metrics", auth.wrap(promhttp.HandlerFor(d.registry, promhttp.HandlerOpts{
		ErrorLog:      slog.NewLogLogger(d.log.Handler(), slog.LevelWarn),
		ErrorHandling: promhttp.ContinueOnError,
	})))
	mux.Handle("GET /status", auth.wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st, err := d.pipeline.Status(r.Context(), r.URL.Query().Get("account"))
		if err != nil {
			d.log.Warn("http: status", "err", err)
			http.Error(w, "status unavailable: see the logs", http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(st)
	})))
	mux.Handle("/riverui/", auth.wrap(ui))
	mux.Handle("GET /riverui", http.RedirectHandler("/riverui/", http.StatusMovedPermanently))
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprint(w, "keapsync\n\n/healthz   process up\n/readyz    database reachable and migrated\n/metrics   Prometheus metrics\n/status    status as JSON\n/riverui/  River UI\n")
	})
	return mux, nil
}

// readyHandler answers /readyz from a check cached for readyCacheFor.
type readyHandler struct {
	check func(ctx context.Context) error
	now   func() time.Time

	mu      sync.Mutex
	at      time.Time
	lastErr error
}

func newReadyHandler(check func(ctx context.Context) error, now func() time.Time) *readyHandler {
	return &readyHandler{check: check, now: now}
}

func (h *readyHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	if now := h.now(); now.Sub(h.at) >= readyCacheFor {
		ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
		h.lastErr = h.check(ctx)
		cancel()
		h.at = now
	}
	err := h.lastErr
	h.mu.Unlock()
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if err != nil {
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintf(w, "not ready: %v\n", err)
		return
	}
	fmt.Fprintln(w, "ready")
}
