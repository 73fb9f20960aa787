package jobs

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"strings"

	"github.com/jackc/pgerrcode"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"

	"github.com/keapsync/keapsync/migrations"
)

// DefaultRiverSchema is where River's tables go unless configured.
const DefaultRiverSchema = "river"

// MigrateConfig names the schemas Migrate brings up to date.
type MigrateConfig struct {
	// DataSchema holds the analysts' tables. Default "keap".
	DataSchema string

	// StateSchema holds keapsync's state. Default "keapsync".
	StateSchema string

	// RiverSchema holds River's job tables. Default "river".
	RiverSchema string

	// Logger receives progress. Default: nothing is logged.
	Logger *slog.Logger
}

// MigrateResult lists what Migrate applied.
type MigrateResult struct {
	// Warehouse are the keapsync migration versions applied (none when
	// already up to date).
	Warehouse []int64

	// River are River's migration versions applied.
	River []int
}

// Migrate brings keapsync's schemas and River's up to date: keapsync's own
// migrations first, then River's. It is the one entry point of `keapsync
// migrate`. Concurrent calls against one database are safe: each part runs
// under an advisory lock, and later calls find nothing left to do. The pool
// needs at least 2 connections.
func Migrate(ctx context.Context, pool *pgxpool.Pool, cfg MigrateConfig) (MigrateResult, error) {
	if pool.Config().MaxConns < 2 {
		return MigrateResult{}, fmt.Errorf("jobs: migrate: the pool needs at least 2 connections (one holds River's migration lock)")
	}
	if cfg.RiverSchema == "" {
		cfg.RiverSchema = DefaultRiverSchema
	}
	if err := migrations.ValidateSchemaName(cfg.RiverSchema); err != nil {
		return MigrateResult{}, fmt.Errorf("jobs: migrate: river schema: %w", err)
	}
	// A database migrated by a newer keapsync is left alone: this build's
	// SQL would call functions whose signatures have changed.
	if st, err := Migrations(ctx, pool, cfg); err != nil {
		return MigrateResult{}, fmt.Errorf("jobs: migrate: %w", err)
	} else if err := st.NotNewer(); err != nil {
		return MigrateResult{}, fmt.Errorf("jobs: migrate: %w", err)
	}
	var res MigrateResult
	up, err := migrations.Up(ctx, pool, migrations.Config{DataSchema: cfg.DataSchema, StateSchema: cfg.StateSchema, Logger: cfg.Logger})
	if err != nil {
		return MigrateResult{}, fmt.Errorf("jobs: migrate: %w", err)
	}
	res.Warehouse = up.Applied

	migrator, err := rivermigrate.New(riverpgxv5.New(pool), &rivermigrate.Config{Schema: cfg.RiverSchema, Logger: cfg.Logger})
	if err != nil {
		return MigrateResult{}, fmt.Errorf("jobs: migrate river: %w", err)
	}
	// rivermigrate takes no lock of its own, and cannot run in one
	// transaction (a migration adds an enum value a later one uses): hold a
	// session advisory lock on a connection of our own while it runs on
	// others, so a concurrent run waits, then finds the versions applied.
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return MigrateResult{}, fmt.Errorf("jobs: migrate river: %w", err)
	}
	defer conn.Release()
	lockID := riverLockID(cfg.RiverSchema)
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", lockID); err != nil {
		return MigrateResult{}, fmt.Errorf("jobs: migrate river: lock: %w", err)
	}
	defer conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", lockID) // on failure the connection dies, and the lock with it
	if _, err := conn.Exec(ctx, "CREATE SCHEMA IF NOT EXISTS "+pgx.Identifier{cfg.RiverSchema}.Sanitize()); err != nil {
		return MigrateResult{}, fmt.Errorf("jobs: migrate river: %w", err)
	}
	r, err := migrator.Migrate(ctx, rivermigrate.DirectionUp, nil)
	if err != nil {
		return MigrateResult{}, fmt.Errorf("jobs: migrate river: %w", err)
	}
	for _, v := range r.Versions {
		res.River = append(res.River, v.Version)
	}
	return res, nil
}

// MigrationScript returns the SQL that migrates cfg's schemas from where
// the database is to this build's latest, as Migrate would, for a DBA who
// applies it by hand (psql -v ON_ERROR_STOP=1 -f): keapsync's migrations
// and River's, each with the version rows that make keapsync find them
// applied. It changes nothing.
func MigrationScript(ctx context.Context, pool *pgxpool.Pool, cfg MigrateConfig) (string, error) {
	if cfg.RiverSchema == "" {
		cfg.RiverSchema = DefaultRiverSchema
	}
	st, err := Migrations(ctx, pool, cfg)
	if err != nil {
		return "", fmt.Errorf("jobs: migration script: %w", err)
	}
	if err := st.NotNewer(); err != nil {
		return "", fmt.Errorf("jobs: migration script: %w", err)
	}
	script, err := migrations.Script(migrations.Config{DataSchema: cfg.DataSchema, StateSchema: cfg.StateSchema}, st.Warehouse)
	if err != nil {
		return "", fmt.Errorf("jobs: migration script: %w", err)
	}
	var b strings.Builder
	b.WriteString(script)
	migrator, err := rivermigrate.New(riverpgxv5.New(pool), &rivermigrate.Config{Schema: cfg.RiverSchema, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return "", fmt.Errorf("jobs: migration script: %w", err)
	}
	schema := pgx.Identifier{cfg.RiverSchema}.Sanitize()
	fmt.Fprintf(&b, "\n-- River migrations: schema %s, from version %d.\nCREATE SCHEMA IF NOT EXISTS %s;\n", cfg.RiverSchema, st.River, schema)
	if st.River < st.RiverLatest {
		dry, err := migrator.Migrate(ctx, rivermigrate.DirectionUp, &rivermigrate.MigrateOpts{DryRun: true})
		if err != nil {
			return "", fmt.Errorf("jobs: migration script: river: %w", err)
		}
		for _, v := range dry.Versions {
			// River's version table has its line column from version 5 on.
			insert := fmt.Sprintf("INSERT INTO %s.river_migration (version) VALUES (%d);", schema, v.Version)
			if v.Version >= 5 {
				insert = fmt.Sprintf("INSERT INTO %s.river_migration (line, version) VALUES ('main', %d);", schema, v.Version)
			}
			fmt.Fprintf(&b, "\n-- River %03d %s\nBEGIN;\n%s\n%s\nCOMMIT;\n", v.Version, v.Name, strings.TrimSpace(v.SQL), insert)
		}
	}
	return b.String(), nil
}

func riverLockID(schema string) int64 {
	h := fnv.New64a()
	h.Write([]byte("keapsync migrate river " + schema))
	return int64(h.Sum64())
}

// MigrationStatus says how far a database's schemas are migrated, against
// what this build holds.
type MigrationStatus struct {
	Warehouse, WarehouseLatest int64
	River, RiverLatest         int
}

// Current reports whether every schema is at this build's latest version.
func (s MigrationStatus) Current() bool {
	return s.Warehouse >= s.WarehouseLatest && s.River >= s.RiverLatest
}

// ErrSchemaNewer is returned (wrapped) by MigrationStatus.NotNewer, and so
// by Migrate, when a newer keapsync has migrated the database.
var ErrSchemaNewer = errors.New("the database was migrated by a newer keapsync")

// NotNewer fails with ErrSchemaNewer, naming both versions, when a schema
// is past this build's latest version: an older binary must not run
// against it (its quota reservations and upserts would call functions
// whose signatures have changed) or migrate it.
func (s MigrationStatus) NotNewer() error {
	if s.Warehouse > s.WarehouseLatest {
		return fmt.Errorf("%w: its keapsync schema is at version %d, this keapsync knows versions up to %d: upgrade keapsync here (the newer binary runs the older schema's runs on)",
			ErrSchemaNewer, s.Warehouse, s.WarehouseLatest)
	}
	if s.River > s.RiverLatest {
		return fmt.Errorf("%w: its River schema is at version %d, this keapsync's River knows versions up to %d: upgrade keapsync here",
			ErrSchemaNewer, s.River, s.RiverLatest)
	}
	return nil
}

// String describes the status for an operator.
func (s MigrationStatus) String() string {
	return fmt.Sprintf("keapsync schema at version %d of %d, River at %d of %d", s.Warehouse, s.WarehouseLatest, s.River, s.RiverLatest)
}

// Migrations reports how far cfg's schemas are migrated, reading the
// database only (readiness checks, `keapsync migrate` saying what it did).
func Migrations(ctx context.Context, pool *pgxpool.Pool, cfg MigrateConfig) (MigrationStatus, error) {
	var s MigrationStatus
	if cfg.RiverSchema == "" {
		cfg.RiverSchema = DefaultRiverSchema
	}
	var err error
	s.Warehouse, s.WarehouseLatest, err = migrations.Versions(ctx, pool, migrations.Config{DataSchema: cfg.DataSchema, StateSchema: cfg.StateSchema})
	if err != nil {
		return s, fmt.Errorf("jobs: migrations: %w", err)
	}
	migrator, err := rivermigrate.New(riverpgxv5.New(pool), &rivermigrate.Config{Schema: cfg.RiverSchema, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return s, fmt.Errorf("jobs: river migrations: %w", err)
	}
	all := migrator.AllVersions()
	s.RiverLatest = all[len(all)-1].Version
	existing, err := migrator.ExistingVersions(ctx)
	var pgErr *pgconn.PgError
	switch {
	case errors.As(err, &pgErr) && (pgErr.Code == pgerrcode.UndefinedTable || pgErr.Code == pgerrcode.InvalidSchemaName): // no table or schema yet
	case err != nil:
		return s, fmt.Errorf("jobs: river migrations: %w", err)
	case len(existing) > 0:
		s.River = existing[len(existing)-1].Version
	}
	return s, nil
}
