package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/keapsync/keapsync/jobs"
)

// connectTimeout bounds reaching the database when a command starts.
const connectTimeout = 10 * time.Second

// dbError is a failure to reach the database, with what to check.
type dbError struct{ err error }

func (e *dbError) Error() string {
	return fmt.Sprintf("database: %v (is PostgreSQL running, and does database_url name it?)", e.err)
}
func (e *dbError) Unwrap() error { return e.err }

// openDB connects a pool of at most maxConns connections to the
// configured database and checks that it answers.
func openDB(ctx context.Context, databaseURL string, maxConns int32, command string) (*pgxpool.Pool, error) {
	pc, err := pgxpool.ParseConfig(databaseURL)
	if err != nil { // validated with the configuration; never quote it
		return nil, &dbError{errors.New("the connection string cannot be parsed")}
	}
	pc.MaxConns = maxConns
	if pc.ConnConfig.ConnectTimeout == 0 || pc.ConnConfig.ConnectTimeout > connectTimeout {
		pc.ConnConfig.ConnectTimeout = connectTimeout
	}
	if _, set := pc.ConnConfig.RuntimeParams["application_name"]; !set {
		pc.ConnConfig.RuntimeParams["application_name"] = "keapsync " + command
	}
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, &dbError{err}
	}
	pingCtx, cancel := context.WithTimeout(ctx, connectTimeout)
	defer cancel()
	if err := pool.Ping(pingCtx); err != nil {
		pool.Close()
		return nil, &dbError{err}
	}
	return pool, nil
}

// errNotMigrated is returned (wrapped) when the schemas are behind.
var errNotMigrated = errors.New("the database is not migrated to this version of keapsync: run keapsync migrate")

// readSchemaVersions compares the database's migrations with those built
// into this binary.
func readSchemaVersions(ctx context.Context, pool *pgxpool.Pool, cfg *config) (jobs.MigrationStatus, error) {
	return jobs.Migrations(ctx, pool, jobs.MigrateConfig{DataSchema: cfg.DataSchema, StateSchema: cfg.StateSchema, RiverSchema: cfg.RiverSchema})
}

// requireMigrated fails unless the schemas are current.
func requireMigrated(ctx context.Context, pool *pgxpool.Pool, cfg *config) error {
	v, err := readSchemaVersions(ctx, pool, cfg)
	if err != nil {
		return err
	}
	if err := v.NotNewer(); err != nil {
		return fmt.Errorf("%w (this is keapsync %s)", err, buildVersion())
	}
	if !v.Current() {
		return fmt.Errorf("%w (%v)", errNotMigrated, v)
	}
	return nil
}

// pipelineOptions are what differ between the commands that build a
// pipeline.
type pipelineOptions struct {
	// streams are the streams the command names: openSession checks them
	// against the configuration (a usage error) before connecting.
	streams   []string
	schedules bool
	logger    *slog.Logger
	metrics   jobs.Metrics
	// ledgerPool serves the quota ledger alone (jobs.Config.LedgerPool).
	ledgerPool *pgxpool.Pool
}

// poolSize is the connections a pipeline of cfg needs (jobs.Config.Pool):
// one per worker of each account, and poolOverhead for River's own
// (leader election, its notifier's listener, maintenance, the job
// fetchers) and the HTTP server's status queries. The README's count adds
// ledgerPoolSize to it.
func poolSize(cfg *config) int32 {
	return int32(cfg.Worker.Concurrency*len(cfg.Accounts) + poolOverhead)
}

// poolOverhead is the connections of a pipeline beyond its workers': River's
// own, the status queries, and the two workers of the notifications' queue.
const poolOverhead = 8

// ledgerPoolSize is the connections of the quota ledger's own pool: its
// reservations are batched per account, so a few serve every job.
const ledgerPoolSize = 3

// jobsConfig translates the configuration for package jobs.
func jobsConfig(cfg *config, pool *pgxpool.Pool, o pipelineOptions) jobs.Config {
	jc := jobs.Config{
		Pool: pool, LedgerPool: o.ledgerPool, DataSchema: cfg.DataSchema, StateSchema: cfg.StateSchema, RiverSchema: cfg.RiverSchema,
		Workers:     cfg.Worker.Concurrency,
		Schedules:   o.schedules,
		Overlap:     cfg.Worker.Overlap,
		JobTimeout:  cfg.Worker.JobTimeout,
		RescueAfter: cfg.Worker.RescueAfter,
		PageSize:    cfg.Worker.PageSize,
		Retry:       jobs.RetryConfig{MaxAttempts: cfg.Worker.MaxAttempts},
		Logger:      o.logger,
		Metrics:     o.metrics,
		Now:         processNow,
	}
	if cfg.Worker.Overlap == 0 {
		jc.Overlap = -1 // none (jobs reads 0 as its default)
	}
	for _, a := range cfg.Accounts {
		jc.Accounts = append(jc.Accounts, jobs.Account{
			Name:              a.Name,
			Keap:              keapConfig(a),
			Schedule:          a.Schedule,
			ReconcileSchedule: a.ReconcileDeletes,
			Streams:           a.Streams,
			Notify:            jobs.Notify{WebhookURL: a.Notify.WebhookURL.reveal(), Format: a.Notify.Format},
			RereadWindows:     map[string]time.Duration{"emails": a.EmailRereadWindow},
		})
	}
	return jc
}

// newPipeline builds the pipeline; a configuration jobs refuses is a bad
// configuration (exit 2).
func newPipeline(jc jobs.Config, file string) (*jobs.Pipeline, error) {
	p, err := jobs.New(jc)
	var ce *jobs.ConfigError
	if errors.As(err, &ce) {
		return nil, &configError{file: file, problems: []configProblem{{path: ce.Field, msg: ce.Reason}}}
	}
	return p, err
}
