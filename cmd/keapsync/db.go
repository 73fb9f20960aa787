package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"

	"github.com/keapsync/keapsync/jobs"
	"github.com/keapsync/keapsync/migrations"
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

// schemaVersions says how far the database's schemas are migrated.
type schemaVersions struct {
	Warehouse, WarehouseLatest int64
	River, RiverLatest         int
}

// current reports whether both are at the latest version.
func (v schemaVersions) current() bool {
	return v.Warehouse >= v.WarehouseLatest && v.River >= v.RiverLatest
}

func (v schemaVersions) String() string {
	return fmt.Sprintf("keapsync schema at version %d of %d, River at %d of %d", v.Warehouse, v.WarehouseLatest, v.River, v.RiverLatest)
}

// errNotMigrated is returned (wrapped) when the schemas are behind.
var errNotMigrated = errors.New("the database is not migrated to this version of keapsync: run keapsync migrate")

// readSchemaVersions compares the database's migrations with those built
// into this binary. The migrations package keeps goose's version table
// in the state schema; this reads it directly (see the report: an API to
// ask for pending migrations would be better).
func readSchemaVersions(ctx context.Context, pool *pgxpool.Pool, cfg *config) (schemaVersions, error) {
	var v schemaVersions
	latest, err := latestWarehouseVersion()
	if err != nil {
		return v, err
	}
	v.WarehouseLatest = latest
	table := pgx.Identifier{cfg.StateSchema, "goose_db_version"}.Sanitize()
	var exists bool
	if err := pool.QueryRow(ctx, "SELECT to_regclass($1) IS NOT NULL", table).Scan(&exists); err != nil {
		return v, fmt.Errorf("schema version: %w", err)
	}
	if exists {
		if err := pool.QueryRow(ctx, "SELECT coalesce(max(version_id), 0) FROM "+table+" WHERE is_applied").Scan(&v.Warehouse); err != nil {
			return v, fmt.Errorf("schema version: %w", err)
		}
	}
	migrator, err := rivermigrate.New(riverpgxv5.New(pool), &rivermigrate.Config{Schema: cfg.RiverSchema, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return v, fmt.Errorf("river schema version: %w", err)
	}
	all := migrator.AllVersions()
	v.RiverLatest = all[len(all)-1].Version
	existing, err := migrator.ExistingVersions(ctx)
	if err != nil {
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && (pgErr.Code == "42P01" || pgErr.Code == "3F000") { // undefined table or schema
			return v, nil
		}
		return v, fmt.Errorf("river schema version: %w", err)
	}
	if len(existing) > 0 {
		v.River = existing[len(existing)-1].Version
	}
	return v, nil
}

// latestWarehouseVersion is the newest migration built into the binary.
func latestWarehouseVersion() (int64, error) {
	entries, err := fs.ReadDir(migrations.Source(), ".")
	if err != nil {
		return 0, fmt.Errorf("migrations: %w", err)
	}
	var latest int64
	for _, e := range entries {
		digits, _, _ := strings.Cut(e.Name(), "_")
		if n, err := strconv.ParseInt(digits, 10, 64); err == nil && n > latest {
			latest = n
		}
	}
	return latest, nil
}

// requireMigrated fails unless the schemas are current.
func requireMigrated(ctx context.Context, pool *pgxpool.Pool, cfg *config) error {
	v, err := readSchemaVersions(ctx, pool, cfg)
	if err != nil {
		return err
	}
	if !v.current() {
		return fmt.Errorf("%w (%v)", errNotMigrated, v)
	}
	return nil
}

// pipelineOptions are what differ between the commands that build a
// pipeline.
type pipelineOptions struct {
	schedules bool
	logger    *slog.Logger
	metrics   jobs.Metrics
}

// poolSize is the connections a pipeline of cfg needs (jobs.Config.Pool).
func poolSize(cfg *config) int32 {
	return int32(cfg.Worker.Concurrency*len(cfg.Accounts) + 6)
}

// jobsConfig translates the configuration for package jobs.
func jobsConfig(cfg *config, pool *pgxpool.Pool, o pipelineOptions) jobs.Config {
	jc := jobs.Config{
		Pool: pool, DataSchema: cfg.DataSchema, StateSchema: cfg.StateSchema, RiverSchema: cfg.RiverSchema,
		Workers:     cfg.Worker.Concurrency,
		Schedules:   o.schedules,
		Overlap:     cfg.Worker.Overlap,
		JobTimeout:  cfg.Worker.JobTimeout,
		RescueAfter: cfg.Worker.RescueAfter,
		PageSize:    cfg.Worker.PageSize,
		Retry:       jobs.RetryConfig{MaxAttempts: cfg.Worker.MaxAttempts},
		Logger:      o.logger,
		Metrics:     o.metrics,
	}
	if cfg.Worker.Overlap == 0 {
		jc.Overlap = time.Nanosecond // jobs reads 0 as its default; "no overlap" is the smallest one
	}
	for _, a := range cfg.Accounts {
		jc.Accounts = append(jc.Accounts, jobs.Account{
			Name:              a.Name,
			Keap:              keapConfig(a),
			Schedule:          a.Schedule,
			ReconcileSchedule: a.ReconcileDeletes,
			Streams:           a.Streams,
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
