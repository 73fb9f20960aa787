package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/cobra"
)

func (a *app) workCommand() *cobra.Command {
	var migrateFirst bool
	cmd := &cobra.Command{
		Use:   "work",
		Short: "Work the sync jobs, run the schedules and serve HTTP until stopped",
		Long: `Work runs until SIGINT or SIGTERM: it works the accounts' jobs (up to
worker.concurrency at once per account), enqueues the scheduled syncs and
delete reconciliations (only the elected leader among all work processes
does, so several processes never double a run), and serves /healthz,
/readyz, /metrics, /status and River UI (/riverui/) on http.listen.

Run as many work processes as you like, on any machines, against one
database: they share the jobs and one quota ledger per account.

On SIGINT or SIGTERM it stops taking jobs and lets running page jobs
finish for up to worker.shutdown_timeout, then cancels them (their pages
are fetched again by whichever worker takes them next: nothing is lost).
A second signal cancels them at once.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return a.work(cmd.Context(), migrateFirst) },
	}
	cmd.Flags().BoolVar(&migrateFirst, "migrate", false, "apply the migrations first (as keapsync migrate)")
	return cmd
}

func (a *app) work(ctx context.Context, migrateFirst bool) error {
	cfg, err := a.loadConfig()
	if err != nil {
		return err
	}
	a.warn(cfg)
	log := a.logger(cfg, cfg.Log.Level)
	pool, err := openDB(ctx, cfg.DatabaseURL.reveal(), poolSize(cfg), "work")
	if err != nil {
		return err
	}
	defer pool.Close()
	if migrateFirst {
		if err := a.migrate(ctx, pool, cfg, log); err != nil {
			return err
		}
	}
	if err := requireMigrated(ctx, pool, cfg); err != nil {
		return err
	}

	ledgerPool, err := openDB(ctx, cfg.DatabaseURL.reveal(), ledgerPoolSize, "work")
	if err != nil {
		return err
	}
	defer ledgerPool.Close()

	registry := prometheus.NewRegistry()
	metrics := newPromMetrics(registry)
	var names []string
	for _, a := range cfg.Accounts {
		names = append(names, a.Name)
	}
	metrics.startAccounts(names)
	p, err := newPipeline(jobsConfig(cfg, pool, pipelineOptions{schedules: true, logger: log, metrics: metrics, ledgerPool: ledgerPool}), cfg.File)
	if err != nil {
		return err
	}
	registry.MustRegister(newStatusCollector(p))

	// The HTTP server and River UI live until the workers have stopped.
	serveCtx, stopServing := context.WithCancel(context.WithoutCancel(ctx))
	defer stopServing()
	var (
		srv      *http.Server
		serveErr = make(chan error, 1)
	)
	if cfg.HTTP.Listen != "" {
		h, err := newHandler(serveCtx, serverDeps{
			pipeline: p, registry: registry, token: cfg.HTTP.AuthToken.reveal(), log: log, now: time.Now,
			listen: cfg.HTTP.Listen, allowedHosts: cfg.HTTP.AllowedHosts,
			ready: func(ctx context.Context) error {
				if err := pool.Ping(ctx); err != nil {
					return errors.New("database unreachable")
				}
				return requireMigrated(ctx, pool, cfg)
			},
		})
		if err != nil {
			return err
		}
		ln, err := net.Listen("tcp", cfg.HTTP.Listen)
		if err != nil {
			return fmt.Errorf("http.listen: %w", err)
		}
		srv = newHTTPServer(h, log)
		if host, _, _ := net.SplitHostPort(cfg.HTTP.Listen); cfg.HTTP.AuthToken != "" && !isLoopbackHost(host) {
			log.Warn("keapsync: http.auth_token travels in plain text to "+cfg.HTTP.Listen+
				": serve it behind a reverse proxy with TLS (see the README's Security section)", "listen", cfg.HTTP.Listen)
		}
		go func() { serveErr <- srv.Serve(ln) }()
		defer func() {
			shutCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_ = srv.Shutdown(shutCtx)
		}()
		log.Info("keapsync: serving", "url", "http://"+ln.Addr().String()+"/", "metrics", "/metrics", "river_ui", "/riverui/",
			"auth", cfg.HTTP.AuthToken != "")
	}

	// River cancels running jobs when its start context ends: start it on
	// a context of its own and stop it softly on a signal.
	if err := p.Start(context.WithoutCancel(ctx)); err != nil {
		return err
	}
	log.Info("keapsync: working", "accounts", p.Accounts(), "http", cfg.HTTP.Listen,
		"concurrency", cfg.Worker.Concurrency, "version", buildVersion())

	var runErr error
	select {
	case <-ctx.Done():
	case <-p.Stopped():
		runErr = errors.New("the workers stopped unexpectedly")
	case err := <-serveErr:
		runErr = fmt.Errorf("http server: %w", err)
	}
	log.Info("keapsync: stopping: running jobs get worker.shutdown_timeout to finish", "shutdown_timeout", cfg.Worker.ShutdownTimeout)
	stopCtx, cancel := context.WithTimeout(context.Background(), cfg.Worker.ShutdownTimeout)
	defer cancel()
	second := make(chan os.Signal, 1)
	signal.Notify(second, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(second)
	go func() {
		select {
		case <-second:
			log.Warn("keapsync: second signal: cancelling running jobs now")
			cancel()
		case <-stopCtx.Done():
		}
	}()
	if err := p.Stop(stopCtx); err != nil {
		return errors.Join(runErr, err)
	}
	log.Info("keapsync: stopped")
	return runErr
}
