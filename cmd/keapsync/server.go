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
	// listen and allowedHosts are the host names requests may carry.
	listen       string
	allowedHosts []string
	log          *slog.Logger
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
// it. A request whose Host is not this server's gets 421 (DNS
// rebinding), and a state-changing request from another origin gets 403
// (cross-site request forgery). The River UI handler is started on ctx
// and stops with it.
func newHandler(ctx context.Context, d serverDeps) (http.Handler, error) {
	ui, err := d.pipeline.UI(d.log.With(slog.String("component", "riverui")), "/riverui")
	if err != nil {
		return nil, err
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
	mux.Handle("/riverui/", auth.wrap(limitBody(ui)))
	mux.Handle("GET /riverui", http.RedirectHandler("/riverui/", http.StatusMovedPermanently))
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprint(w, "keapsync\n\n/healthz   process up\n/readyz    database reachable and migrated\n/metrics   Prometheus metrics\n/status    status as JSON\n/riverui/  River UI\n")
	})
	guarded, err := newCrossOriginGuard(d.allowedHosts, mux)
	if err != nil {
		return nil, err
	}
	return newHostGuard(d.listen, d.allowedHosts, guarded), nil
}

// readyHandler answers /readyz from a check cached for readyCacheFor. The
// check runs on a context of its own, once however many probes wait for
// it: a probe that hangs up stops waiting, and its cancellation reaches
// neither the check nor the other probes.
type readyHandler struct {
	check func(ctx context.Context) error
	now   func() time.Time

	mu      sync.Mutex
	at      time.Time     // when lastErr was found
	lastErr error         // the last check's answer
	running chan struct{} // closed when the running check ends; nil when none runs
}

// readyTimeout bounds one readiness check.
const readyTimeout = 5 * time.Second

func newReadyHandler(check func(ctx context.Context) error, now func() time.Time) *readyHandler {
	return &readyHandler{check: check, now: now}
}

func (h *readyHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	answered, err := h.answer(r.Context())
	if !answered { // the client hung up
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if err != nil {
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintf(w, "not ready: %v\n", err)
		return
	}
	fmt.Fprintln(w, "ready")
}

// answer returns the cached answer, or waits for a check (starting one if
// none runs) until ctx ends; answered is false when ctx ended first.
func (h *readyHandler) answer(ctx context.Context) (answered bool, notReady error) {
	h.mu.Lock()
	if !h.at.IsZero() && h.now().Sub(h.at) < readyCacheFor {
		err := h.lastErr
		h.mu.Unlock()
		return true, err
	}
	done := h.running
	if done == nil {
		done = make(chan struct{})
		h.running = done
		go h.run(done)
	}
	h.mu.Unlock()
	select {
	case <-done:
		h.mu.Lock()
		defer h.mu.Unlock()
		return true, h.lastErr
	case <-ctx.Done():
		return false, nil
	}
}

// run checks readiness and publishes the answer.
func (h *readyHandler) run(done chan struct{}) {
	ctx, cancel := context.WithTimeout(context.Background(), readyTimeout)
	err := h.check(ctx)
	cancel()
	h.mu.Lock()
	h.lastErr, h.at, h.running = err, h.now(), nil
	h.mu.Unlock()
	close(done)
}
