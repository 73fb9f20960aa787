package main

import (
	"bufio"
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
	"github.com/spf13/cobra"

	"github.com/keapsync/keapsync/jobs"
	"github.com/keapsync/keapsync/keap"
	"github.com/keapsync/keapsync/keap/keapsim"
	"github.com/keapsync/keapsync/migrations"
	"github.com/keapsync/keapsync/warehouse"
)

// The demo's defaults: a tenant of 20,000 contacts (every stream scaled
// with it) behind a quota scaled down so that the first sync needs two
// of its compressed days.
const (
	demoDatabase      = "keapsync_demo"
	demoAccount       = "demo"
	demoLocalDefault  = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
	demoContacts      = 20_000
	demoDay           = 15 * time.Second
	demoPerSecond     = 10
	demoSeed          = 7
	demoWorkers       = 4
	demoDayShareCalls = 0.6 // the daily quota, as a share of the calls the sync needs
)

// demoOptions are the demo's flags (hidden: they shrink it for tests).
type demoOptions struct {
	contacts       int
	day            time.Duration
	perDay         int
	perSecond      int
	privateCluster bool
	database       string
}

func (a *app) demoCommand() *cobra.Command {
	o := demoOptions{contacts: demoContacts, day: demoDay, perSecond: demoPerSecond, database: demoDatabase}
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Sync a simulated Keap account into PostgreSQL, start to finish (no Keap account needed)",
		Long: `Demo runs Keap's simulator in this process (a tenant of 20,000 contacts and
every other stream), migrates a database of its own (keapsync_demo, on the
server $DATABASE_URL names, else postgres@127.0.0.1:5432; created if
missing, its keapsync schemas recreated), and syncs everything with
progress. The simulated quota is scaled down and its day compressed to
seconds, so the sync spends the daily quota, pauses, and resumes after
the reset, as a first sync of a large account does over days. It ends
with the rows per table, the calls used and three queries to try in psql.

When the local server asks for a password and $DATABASE_URL is not set,
the demo starts a private PostgreSQL cluster from the installed binaries
in a temporary directory instead (as the postgres user when run as root),
and removes it when it exits.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return a.demo(cmd.Context(), o) },
	}
	f := cmd.Flags()
	f.IntVar(&o.contacts, "contacts", o.contacts, "contacts in the simulated tenant")
	f.DurationVar(&o.day, "day", o.day, "length of the simulated quota day")
	f.IntVar(&o.perDay, "per-day", 0, "simulated daily quota (default: about 60% of the calls the sync needs)")
	f.IntVar(&o.perSecond, "per-second", o.perSecond, "simulated calls per second")
	f.BoolVar(&o.privateCluster, "private-cluster", false, "always use a private throwaway PostgreSQL cluster")
	f.StringVar(&o.database, "database", o.database, "the demo's database")
	for _, name := range []string{"contacts", "day", "per-day", "per-second", "private-cluster", "database"} {
		_ = f.MarkHidden(name)
	}
	return cmd
}

func (a *app) demo(ctx context.Context, o demoOptions) error {
	if o.contacts < 1 || o.day < time.Second || o.perSecond < 1 || o.perDay < 0 {
		return usagef("demo: --contacts, --per-second and --day (at least 1s) must be positive")
	}
	if err := migrations.ValidateSchemaName(o.database); err != nil { // the same rules make a safe database name
		return usagef("demo: --database %q: want lowercase letters, digits and underscores", o.database)
	}
	started := time.Now()
	log := a.logger(nil, slog.LevelWarn)
	out := a.stdout

	// 1. PostgreSQL: the configured or local server, else a private one.
	serverURL, fromEnv := a.getenv("DATABASE_URL")
	fromEnv = fromEnv && serverURL != ""
	if !fromEnv {
		serverURL = demoLocalDefault
	}
	var cluster *privateCluster
	startCluster := func(why string) error {
		fmt.Fprintf(out, "%s: starting a private PostgreSQL cluster for the demo (removed when it ends)...\n", why)
		var err error
		if cluster, err = startPrivateCluster(ctx); err != nil {
			return err
		}
		serverURL = cluster.URL
		return nil
	}
	defer func() {
		if cluster != nil {
			cluster.stop()
		}
	}()
	if o.privateCluster {
		if err := startCluster("--private-cluster"); err != nil {
			return err
		}
	}
	dbURL, err := ensureDemoDatabase(ctx, serverURL, o.database)
	var auth *authRequiredError
	if errors.As(err, &auth) && !fromEnv && cluster == nil {
		if err := startCluster("The local PostgreSQL asks for a password"); err != nil {
			return err
		}
		dbURL, err = ensureDemoDatabase(ctx, serverURL, o.database)
	}
	if err != nil {
		return demoDatabaseError(err, serverURL, fromEnv, o.database)
	}
	pool, err := openDB(ctx, dbURL, demoWorkers+8, "demo")
	if err != nil {
		return err
	}
	defer pool.Close()
	cfg := &config{DatabaseURL: secret(dbURL), DataSchema: migrations.DefaultDataSchema, StateSchema: migrations.DefaultStateSchema,
		RiverSchema: jobs.DefaultRiverSchema}
	if err := requireDatabase(ctx, pool, o.database); err != nil {
		return err
	}
	for _, s := range []string{cfg.DataSchema, cfg.StateSchema, cfg.RiverSchema} {
		if _, err := pool.Exec(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{s}.Sanitize()+" CASCADE"); err != nil {
			return fmt.Errorf("demo: start fresh: %w", err)
		}
	}
	if _, err := jobs.Migrate(ctx, pool, jobs.MigrateConfig{DataSchema: cfg.DataSchema, StateSchema: cfg.StateSchema, RiverSchema: cfg.RiverSchema}); err != nil {
		return fmt.Errorf("demo: migrate: %w", err)
	}
	fmt.Fprintf(out, "Database %s migrated (schemas keap for analysts, keapsync for state, river for jobs).\n", o.database)

	// 2. The simulated Keap, its quota scaled to the tenant.
	simStart := time.Now()
	key := make([]byte, 16)
	_, _ = rand.Read(key)
	simOpts := keapsim.Options{Contacts: o.contacts, Seed: demoSeed, APIKeys: []string{hex.EncodeToString(key)},
		PerSecond: o.perSecond, PerMinute: -1, TenantPerMinute: -1, PerDay: math.MaxInt32, DayLength: o.day}
	probe, err := keapsim.Start(simOpts) // sized first, to scale the quota to the sync
	if err != nil {
		return fmt.Errorf("demo: simulator: %w", err)
	}
	totals, pages := demoTotals(probe)
	_ = probe.Close()
	if o.perDay == 0 {
		o.perDay = max(4, int(math.Ceil(float64(pages)*demoDayShareCalls)))
	}
	simOpts.PerDay = o.perDay
	sim, err := keapsim.Start(simOpts)
	if err != nil {
		return fmt.Errorf("demo: simulator: %w", err)
	}
	defer sim.Close()
	fmt.Fprintf(out, "Simulated Keap: %s contacts and every other stream (built in %s); quota %d calls a second and %d a day, a day lasting %s.\n",
		num(int64(o.contacts)), roughDuration(time.Since(simStart)), o.perSecond, o.perDay, o.day)

	// 3. Sync everything, as sync --wait does.
	jc := jobs.Config{
		Pool: pool, DataSchema: cfg.DataSchema, StateSchema: cfg.StateSchema, RiverSchema: cfg.RiverSchema,
		Workers: demoWorkers, Logger: log, PollInterval: 200 * time.Millisecond, SnoozeJitter: 200 * time.Millisecond,
		Accounts: []jobs.Account{{Name: demoAccount, Keap: keap.Config{
			BaseURL: sim.URL(), Credential: keap.NewAPIKey(simOpts.APIKeys[0]),
			// No DayLength: until Keap's first response says when the day
			// resets, the client counts toward a longer (UTC) day, which is
			// stricter; the simulator's headers then set the real reset.
			// The simulator and this process share a clock: a day's
			// first call needs no margin for clocks that disagree.
			Quota: keap.QuotaConfig{PerSecond: o.perSecond, PerMinute: -1, PerDay: int64(o.perDay), DayResetMargin: 50 * time.Millisecond},
		}}},
	}
	p, err := jobs.New(jc)
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	cfg.Worker.ShutdownTimeout = 10 * time.Second
	s := &session{cfg: cfg, pool: pool, p: p, log: log}
	runs, err := p.Sync(ctx, jobs.SyncRequest{})
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	fmt.Fprintf(out, "Syncing %d streams (every page is a River job; progress below):\n", len(runs))
	pr := a.newProgress(out, a.stdoutTTY)
	for _, r := range runs {
		if n, ok := totals[r.Stream]; ok {
			pr.totals[r.ID] = n
		}
	}
	pauses := &pauseCounter{seen: map[time.Time]bool{}}
	syncStart := time.Now()
	final, err := a.workAndWait(ctx, s, runs, &pausingProgress{progress: pr, pauses: pauses}, 250*time.Millisecond)
	if err != nil {
		return err
	}
	pr.summary(final, time.Since(syncStart))
	if err := runsOutcome(final); err != nil {
		return err
	}

	// 4. The summary.
	return a.demoSummary(ctx, pool, sim, o, final, pauses, time.Since(started), dbURL, cluster)
}

// demoTotals counts each stream's records in the simulator (the truth,
// for the ETA) and the pages a first sync reads.
func demoTotals(sim *keapsim.Server) (map[string]int64, int) {
	totals := map[string]int64{}
	pages := 0
	for _, s := range keap.Streams {
		n, err := sim.Live(s.Name)
		if err != nil {
			pages++
			continue
		}
		totals[s.Name] = int64(n)
		pages += max(1, int(math.Ceil(float64(n)/float64(s.MaxPageSize))))
	}
	return totals, pages
}

// pauseCounter counts the quota days a sync waited for.
type pauseCounter struct{ seen map[time.Time]bool }

// pausingProgress is a progress that also counts the pauses it shows.
type pausingProgress struct {
	*progress
	pauses *pauseCounter
}

func (pp *pausingProgress) update(runs []jobs.Run, quotas map[string]accountQuota) {
	for _, r := range runs {
		if r.Status == warehouse.RunPausedQuota {
			pp.pauses.seen[r.ResumeAt.Truncate(time.Second)] = true
		}
	}
	pp.progress.update(runs, quotas)
}

// demoSummary prints the rows per table, the calls used of the quota, the
// time taken and three queries to try.
func (a *app) demoSummary(ctx context.Context, pool *pgxpool.Pool, sim *keapsim.Server, o demoOptions, runs []jobs.Run,
	pauses *pauseCounter, took time.Duration, dbURL string, cluster *privateCluster) error {
	out := a.stdout
	rows, err := pool.Query(ctx, `SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = $1 AND c.relkind = 'r' ORDER BY c.relname`, migrations.DefaultDataSchema)
	if err != nil {
		return fmt.Errorf("demo: tables: %w", err)
	}
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return fmt.Errorf("demo: tables: %w", err)
	}
	fmt.Fprintf(out, "\nRows per table (database %s, schema keap):\n", o.database)
	t := newTable(out)
	var total int64
	for _, name := range tables {
		var n int64
		if err := pool.QueryRow(ctx, "SELECT count(*) FROM "+pgx.Identifier{migrations.DefaultDataSchema, name}.Sanitize()).Scan(&n); err != nil {
			return fmt.Errorf("demo: count %s: %w", name, err)
		}
		total += n
		fmt.Fprintf(t, "  %s\t%s\n", name, num(n))
	}
	fmt.Fprintf(t, "  total\t%s\n", num(total))
	if err := t.Flush(); err != nil {
		return err
	}

	st := sim.Stats()
	var calls int64
	for _, r := range runs {
		calls += r.APICalls
	}
	days := len(pauses.seen) + 1
	rejected := num(st.Rejected) + " rejected by Keap's limits"
	if st.Rejected > 0 {
		rejected += fmt.Sprintf(" (spike arrest %d, minute %d, day %d: retried)", st.RejectedSpike, st.RejectedMinute, st.RejectedDay)
	}
	fmt.Fprintf(out, "\nAPI calls: %s made, %s; quota %d a day (a day lasting %s), so the sync paused %d time(s) and resumed after each reset, over %d quota day(s).\n",
		num(st.Accepted), rejected, o.perDay, o.day, len(pauses.seen), days)
	fmt.Fprintf(out, "Time: %s in all. On the real Keap (15,000 calls a day), the same %s calls take %s of one day's budget.\n",
		roughDuration(took), num(st.Accepted), percent(float64(st.Accepted)/15_000))

	psql := fmt.Sprintf("psql %q", redactDatabaseURL(psqlURL(dbURL)))
	fmt.Fprintf(out, "\nTry these in psql (%s):\n", psql)
	for _, q := range []string{
		"SELECT stream, latest_status, last_success_at, lag FROM keap.freshness ORDER BY stream;",
		"SELECT t.name AS tag, count(*) AS contacts FROM keap.contact_tags ct JOIN keap.tags t ON t.account = ct.account AND t.id = ct.tag_id GROUP BY t.name ORDER BY contacts DESC LIMIT 10;",
		"SELECT date_trunc('month', order_time) AS month, count(*) AS orders, sum(total) AS revenue FROM keap.orders WHERE _deleted_at IS NULL GROUP BY 1 ORDER BY 1 DESC LIMIT 12;",
	} {
		fmt.Fprintf(out, "  %s -c %q\n", psql, q)
	}
	if cluster != nil {
		fmt.Fprintln(out, "\nThe private PostgreSQL cluster is removed when the demo exits.")
		if a.stdinTTY {
			fmt.Fprint(out, "Press Enter to stop it (try the queries first).")
			waitForEnter(ctx, a.stdin)
			fmt.Fprintln(out)
		}
	}
	return nil
}

// psqlURL is the URL psql understands (pgx options removed).
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

// waitForEnter returns when a line is read from in or ctx ends.
func waitForEnter(ctx context.Context, in io.Reader) {
	done := make(chan struct{})
	go func() {
		_, _ = bufio.NewReader(in).ReadString('\n')
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
	}
}
