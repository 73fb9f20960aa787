package main

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/spf13/cobra"

	"github.com/keapsync/keapsync/jobs"
)

func (a *app) migrateCommand() *cobra.Command {
	var printSQL bool
	cmd := &cobra.Command{
		Use:   "migrate",
		Short: "Create or update the warehouse's and River's tables",
		Long: `Migrate applies keapsync's migrations (the analysts' schema, data_schema,
and keapsync's state, state_schema) and River's (river_schema). It is
idempotent and safe to run from several processes at once: each part runs
under a PostgreSQL advisory lock, and later runs find nothing to do.

With --print-sql it changes nothing and prints the SQL of the migrations the
database lacks, for a DBA who applies them by hand (psql -v ON_ERROR_STOP=1
-f migrate.sql): each in a transaction of its own, with the version rows
that make keapsync find it migrated.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := a.loadConfig()
			if err != nil {
				return err
			}
			a.warn(cfg)
			ctx := cmd.Context()
			pool, err := openDB(ctx, cfg.DatabaseURL.reveal(), 4, "migrate")
			if err != nil {
				return err
			}
			defer pool.Close()
			if printSQL {
				script, err := jobs.MigrationScript(ctx, pool, jobs.MigrateConfig{
					DataSchema: cfg.DataSchema, StateSchema: cfg.StateSchema, RiverSchema: cfg.RiverSchema})
				if err != nil {
					return fmt.Errorf("migrate: %w", err)
				}
				fmt.Fprint(a.stdout, script)
				return nil
			}
			return a.migrate(ctx, pool, cfg, a.logger(cfg, slog.LevelWarn))
		},
	}
	cmd.Flags().BoolVar(&printSQL, "print-sql", false, "print the SQL of the pending migrations instead of applying them")
	return cmd
}

// migrate brings the schemas up to date and says what it did.
func (a *app) migrate(ctx context.Context, pool *pgxpool.Pool, cfg *config, log *slog.Logger) error {
	res, err := jobs.Migrate(ctx, pool, jobs.MigrateConfig{
		DataSchema: cfg.DataSchema, StateSchema: cfg.StateSchema, RiverSchema: cfg.RiverSchema, Logger: log,
	})
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	v, err := readSchemaVersions(ctx, pool, cfg)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if len(res.Warehouse) == 0 && len(res.River) == 0 {
		fmt.Fprintf(a.stdout, "Already up to date: %v.\n", v)
		return nil
	}
	fmt.Fprintf(a.stdout, "Migrated schemas %s and %s to keapsync version %d (applied %s), and %s to River version %d (applied %s).\n",
		cfg.DataSchema, cfg.StateSchema, v.Warehouse, listOrNone(res.Warehouse), cfg.RiverSchema, v.River, listOrNone(res.River))
	return nil
}

func listOrNone[T int | int64](vs []T) string {
	if len(vs) == 0 {
		return "none"
	}
	s := ""
	for i, v := range vs {
		if i > 0 {
			s += ", "
		}
		s += fmt.Sprint(v)
	}
	return s
}

// session is a command's configuration, database and pipeline.
type session struct {
	cfg        *config
	pool       *pgxpool.Pool
	ledgerPool *pgxpool.Pool
	p          *jobs.Pipeline
	log        *slog.Logger
}

// openSession loads the configuration, checks that account (unless empty)
// and o.streams are configured, connects, checks the schemas are migrated
// and builds a pipeline that works no job until started.
func (a *app) openSession(ctx context.Context, command, account string, o pipelineOptions) (*session, error) {
	cfg, err := a.loadConfig()
	if err != nil {
		return nil, err
	}
	if err := checkStreams(cfg, account, o.streams); err != nil {
		return nil, err
	}
	a.warn(cfg)
	if o.logger == nil {
		o.logger = a.logger(cfg, slog.LevelWarn)
	}
	pool, err := openDB(ctx, cfg.DatabaseURL.reveal(), poolSize(cfg), command)
	if err != nil {
		return nil, err
	}
	if err := requireMigrated(ctx, pool, cfg); err != nil {
		pool.Close()
		return nil, err
	}
	ledgerPool, err := openDB(ctx, cfg.DatabaseURL.reveal(), ledgerPoolSize, command)
	if err != nil {
		pool.Close()
		return nil, err
	}
	o.ledgerPool = ledgerPool
	p, err := newPipeline(jobsConfig(cfg, pool, o), cfg.File)
	if err != nil {
		pool.Close()
		ledgerPool.Close()
		return nil, err
	}
	return &session{cfg: cfg, pool: pool, ledgerPool: ledgerPool, p: p, log: o.logger}, nil
}

func (s *session) close() {
	s.pool.Close()
	s.ledgerPool.Close()
}

// checkAccount fails for an account that is not configured (bad usage,
// found before any side effect).
func checkAccount(cfg *config, name string) error {
	if name == "" || cfg.account(name) != nil {
		return nil
	}
	names := make([]string, len(cfg.Accounts))
	for i, a := range cfg.Accounts {
		names[i] = a.Name
	}
	return usagef("--account %q is not configured in %s (accounts: %s)", name, cfg.File, strings.Join(names, ", "))
}
