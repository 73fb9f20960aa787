// Package demo sets up what keapsync's demo syncs: a database of its own
// (on the configured or local PostgreSQL, else on a private throwaway
// cluster), migrated from scratch, and a simulated Keap account whose
// quota is scaled so that the first sync spends the daily cap, pauses and
// resumes after the reset. The keapsync command starts the sync and shows
// its progress; this package owns everything the demo creates and removes.
package demo

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/url"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/keapsync/keapsync/jobs"
	"github.com/keapsync/keapsync/keap"
	"github.com/keapsync/keapsync/keap/keapsim"
	"github.com/keapsync/keapsync/migrations"
)

// The demo's defaults: a tenant of 20,000 contacts (every stream scaled
// with it) behind a quota scaled down so that the first sync needs two
// of its compressed days.
const (
	DefaultDatabase  = "keapsync_demo"
	DefaultContacts  = 20_000
	DefaultDay       = 15 * time.Second
	DefaultPerSecond = 10
	// Account is the demo's account name.
	Account = "demo"
	// Workers is the pipeline's worker count.
	Workers = 4

	localServer = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
	seed        = 7
	dayShare    = 0.6 // the daily quota, as a share of the calls the sync needs
	// connectTimeout bounds each attempt to reach the server.
	connectTimeout = 10 * time.Second
)

// Options say what the demo builds.
type Options struct {
	Contacts  int
	Day       time.Duration // the simulated quota day
	PerDay    int           // the simulated daily quota; 0: about 60% of the calls the sync needs
	PerSecond int
	Database  string
	// ServerURL is $DATABASE_URL; empty means the local server, with a
	// private cluster when it asks for a password.
	ServerURL      string
	PrivateCluster bool // always use a private cluster
	// Open opens the pool on the demo's database (the command's own
	// connection settings).
	Open func(ctx context.Context, databaseURL string) (*pgxpool.Pool, error)
	// Out is told what the set-up does while it does it.
	Out    io.Writer
	Logger *slog.Logger
}

// Check fails for options the demo cannot run with, naming the option.
func (o Options) Check() error {
	if o.Contacts < 1 || o.Day < time.Second || o.PerSecond < 1 || o.PerDay < 0 {
		return errors.New("--contacts, --per-second and --day (at least 1s) must be positive")
	}
	if err := migrations.ValidateSchemaName(o.Database); err != nil { // the same rules make a safe database name
		return fmt.Errorf("--database %q: want lowercase letters, digits and underscores", o.Database)
	}
	return nil
}

// Demo is a running demo environment: the migrated database, the
// simulator and the pipeline that syncs one from the other.
type Demo struct {
	Pool     *pgxpool.Pool
	Pipeline *jobs.Pipeline
	Sim      *keapsim.Server
	// DatabaseURL connects to the demo's database.
	DatabaseURL string
	// PerDay is the simulated daily quota.
	PerDay int
	// Totals are the simulator's records per stream (for the ETA).
	Totals map[string]int64
	// SimBuilt is how long building the simulated tenant took.
	SimBuilt time.Duration
	// Schemas are the data, state and River schemas, recreated.
	DataSchema, StateSchema, RiverSchema string

	cluster *privateCluster
	key     string // the simulator's API key
}

// Private reports whether the demo runs on a private cluster (removed by
// Close).
func (d *Demo) Private() bool { return d.cluster != nil }

// Start builds the demo's environment. Close releases it, also after an
// error.
func Start(ctx context.Context, o Options) (d *Demo, err error) {
	if err := o.Check(); err != nil {
		return nil, err
	}
	d = &Demo{DataSchema: migrations.DefaultDataSchema, StateSchema: migrations.DefaultStateSchema, RiverSchema: jobs.DefaultRiverSchema}
	defer func() {
		if err != nil {
			d.Close()
			d = nil
		}
	}()
	if err := d.database(ctx, o); err != nil {
		return d, err
	}
	if err := d.simulate(o); err != nil {
		return d, err
	}
	d.Pipeline, err = jobs.New(jobs.Config{
		Pool: d.Pool, DataSchema: d.DataSchema, StateSchema: d.StateSchema, RiverSchema: d.RiverSchema,
		Workers: Workers, Logger: o.Logger, PollInterval: 200 * time.Millisecond, SnoozeJitter: 200 * time.Millisecond,
		Accounts: []jobs.Account{{Name: Account, Keap: keap.Config{
			BaseURL: d.Sim.URL(), Credential: keap.NewAPIKey(d.key),
			// No DayLength: until Keap's first response says when the day
			// resets, the client counts toward a longer (UTC) day, which is
			// stricter; the simulator's headers then set the real reset.
			// The simulator and this process share a clock: a day's
			// first call needs no margin for clocks that disagree.
			Quota: keap.QuotaConfig{PerSecond: o.PerSecond, PerMinute: -1, PerDay: int64(d.PerDay), DayResetMargin: 50 * time.Millisecond},
		}}},
	})
	if err != nil {
		return d, fmt.Errorf("demo: %w", err)
	}
	return d, nil
}

// database reaches PostgreSQL (the configured or local server, else a
// private one), creates the demo's database when missing, and recreates
// keapsync's schemas in it, after checking it is connected to that
// database and no other.
func (d *Demo) database(ctx context.Context, o Options) error {
	serverURL, fromEnv := o.ServerURL, o.ServerURL != ""
	if !fromEnv {
		serverURL = localServer
	}
	startCluster := func(why string) error {
		fmt.Fprintf(o.Out, "%s: starting a private PostgreSQL cluster for the demo (removed when it ends)...\n", why)
		var err error
		if d.cluster, err = startPrivateCluster(ctx); err != nil {
			return err
		}
		serverURL = d.cluster.URL
		return nil
	}
	if o.PrivateCluster {
		if err := startCluster("--private-cluster"); err != nil {
			return err
		}
	}
	dbURL, err := ensureDemoDatabase(ctx, serverURL, o.Database)
	var auth *authRequiredError
	if errors.As(err, &auth) && !fromEnv && d.cluster == nil {
		if err := startCluster("The local PostgreSQL asks for a password"); err != nil {
			return err
		}
		dbURL, err = ensureDemoDatabase(ctx, serverURL, o.Database)
	}
	if err != nil {
		return demoDatabaseError(err, serverURL, fromEnv, o.Database)
	}
	d.DatabaseURL = dbURL
	if d.Pool, err = o.Open(ctx, dbURL); err != nil {
		return err
	}
	if err := requireDatabase(ctx, d.Pool, o.Database); err != nil {
		return err
	}
	for _, s := range []string{d.DataSchema, d.StateSchema, d.RiverSchema} {
		if _, err := d.Pool.Exec(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{s}.Sanitize()+" CASCADE"); err != nil {
			return fmt.Errorf("demo: start fresh: %w", err)
		}
	}
	if _, err := jobs.Migrate(ctx, d.Pool, jobs.MigrateConfig{DataSchema: d.DataSchema, StateSchema: d.StateSchema, RiverSchema: d.RiverSchema}); err != nil {
		return fmt.Errorf("demo: migrate: %w", err)
	}
	return nil
}

// simulate starts the simulated Keap with its quota scaled to the sync:
// a first simulator sizes the tenant, the second serves it.
func (d *Demo) simulate(o Options) error {
	began := time.Now()
	key := make([]byte, 16)
	_, _ = rand.Read(key)
	d.key = hex.EncodeToString(key)
	simOpts := keapsim.Options{Contacts: o.Contacts, Seed: seed, APIKeys: []string{d.key},
		PerSecond: o.PerSecond, PerMinute: -1, TenantPerMinute: -1, PerDay: math.MaxInt32, DayLength: o.Day}
	probe, err := keapsim.Start(simOpts)
	if err != nil {
		return fmt.Errorf("demo: simulator: %w", err)
	}
	totals, pages := tenantSize(probe)
	_ = probe.Close()
	d.Totals, d.PerDay = totals, o.PerDay
	if d.PerDay == 0 {
		d.PerDay = max(4, int(math.Ceil(float64(pages)*dayShare)))
	}
	simOpts.PerDay = d.PerDay
	if d.Sim, err = keapsim.Start(simOpts); err != nil {
		return fmt.Errorf("demo: simulator: %w", err)
	}
	d.SimBuilt = time.Since(began)
	return nil
}

// tenantSize counts each stream's records in the simulator (the truth,
// for the ETA) and the pages a first sync reads.
func tenantSize(sim *keapsim.Server) (map[string]int64, int) {
	totals := map[string]int64{}
	pages := 0
	for _, s := range keap.Streams {
		n, err := sim.Live(s.Name)
		if err != nil || s.MaxPageSize <= 0 { // a stream read in one call
			pages++
			continue
		}
		totals[s.Name] = int64(n)
		pages += max(1, int(math.Ceil(float64(n)/float64(s.MaxPageSize))))
	}
	return totals, pages
}

// Close stops the simulator, closes the pool and removes the private
// cluster, if any.
func (d *Demo) Close() {
	if d.Sim != nil {
		_ = d.Sim.Close()
	}
	if d.Pool != nil {
		d.Pool.Close()
	}
	if d.cluster != nil {
		d.cluster.stop()
	}
}

// TableRows is one table of the data schema and its rows.
type TableRows struct {
	Table string
	Rows  int64
}

// Tables counts the rows of every table of the data schema, by name.
func (d *Demo) Tables(ctx context.Context) ([]TableRows, error) {
	rows, err := d.Pool.Query(ctx, `SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = $1 AND c.relkind = 'r' ORDER BY c.relname`, d.DataSchema)
	if err != nil {
		return nil, fmt.Errorf("demo: tables: %w", err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("demo: tables: %w", err)
	}
	out := make([]TableRows, len(names))
	for i, name := range names {
		out[i].Table = name
		if err := d.Pool.QueryRow(ctx, "SELECT count(*) FROM "+pgx.Identifier{d.DataSchema, name}.Sanitize()).Scan(&out[i].Rows); err != nil {
			return nil, fmt.Errorf("demo: count %s: %w", name, err)
		}
	}
	return out, nil
}

// PsqlURL is the demo database's URL as psql understands it (pgx's own
// options removed).
func (d *Demo) PsqlURL() string { return psqlURL(d.DatabaseURL) }

func psqlURL(dbURL string) string {
	u, err := url.Parse(dbURL)
	if err != nil {
		return dbURL
	}
	q := u.Query()
	for k := range q {
		if k != "sslmode" && k != "host" && k != "port" {
			q.Del(k)
		}
	}
	u.RawQuery = q.Encode()
	return u.String()
}
