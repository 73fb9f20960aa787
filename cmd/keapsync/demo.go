package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/spf13/cobra"

	"github.com/keapsync/keapsync/cmd/keapsync/demo"
	"github.com/keapsync/keapsync/jobs"
	"github.com/keapsync/keapsync/warehouse"
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
	o := demoOptions{contacts: demo.DefaultContacts, day: demo.DefaultDay, perSecond: demo.DefaultPerSecond, database: demo.DefaultDatabase}
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
	started := time.Now()
	log := a.logger(nil, slog.LevelWarn)
	out := a.stdout
	serverURL, _ := a.getenv("DATABASE_URL")
	opts := demo.Options{Contacts: o.contacts, Day: o.day, PerDay: o.perDay, PerSecond: o.perSecond, Database: o.database,
		ServerURL: serverURL, PrivateCluster: o.privateCluster, Out: out, Logger: log,
		Open: func(ctx context.Context, url string) (*pgxpool.Pool, error) {
			return openDB(ctx, url, demo.Workers+8, "demo")
		}}
	if err := opts.Check(); err != nil {
		return usagef("demo: %v", err)
	}

	// 1. The database and the simulated Keap, its quota scaled to the tenant.
	d, err := demo.Start(ctx, opts)
	if err != nil {
		return err
	}
	defer d.Close()
	fmt.Fprintf(out, "Database %s migrated (schemas keap for analysts, keapsync for state, river for jobs).\n", o.database)
	fmt.Fprintf(out, "Simulated Keap: %s contacts and every other stream (built in %s); quota %d calls a second and %d a day, a day lasting %s.\n",
		num(int64(o.contacts)), roughDuration(d.SimBuilt), o.perSecond, d.PerDay, o.day)

	// 2. Sync everything, as sync --wait does.
	cfg := &config{DatabaseURL: secret(d.DatabaseURL), DataSchema: d.DataSchema, StateSchema: d.StateSchema, RiverSchema: d.RiverSchema}
	cfg.Worker.ShutdownTimeout = 10 * time.Second
	s := &session{cfg: cfg, pool: d.Pool, p: d.Pipeline, log: log}
	runs, err := d.Pipeline.Sync(ctx, jobs.SyncRequest{})
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	fmt.Fprintf(out, "Syncing %d streams (every page is a River job; progress below):\n", len(runs))
	pr := a.newProgress(out, a.stdoutTTY)
	for _, r := range runs {
		if n, ok := d.Totals[r.Stream]; ok {
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

	// 3. The summary.
	return a.demoSummary(ctx, d, o, final, pauses, time.Since(started))
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
func (a *app) demoSummary(ctx context.Context, d *demo.Demo, o demoOptions, runs []jobs.Run, pauses *pauseCounter, took time.Duration) error {
	out := a.stdout
	tables, err := d.Tables(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "\nRows per table (database %s, schema keap):\n", o.database)
	t := newTable(out)
	var total int64
	for _, tr := range tables {
		total += tr.Rows
		fmt.Fprintf(t, "  %s\t%s\n", tr.Table, num(tr.Rows))
	}
	fmt.Fprintf(t, "  total\t%s\n", num(total))
	if err := t.Flush(); err != nil {
		return err
	}

	st := d.Sim.Stats()
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
		num(st.Accepted), rejected, d.PerDay, o.day, len(pauses.seen), days)
	fmt.Fprintf(out, "Time: %s in all. On the real Keap (15,000 calls a day), the same %s calls take %s of one day's budget.\n",
		roughDuration(took), num(st.Accepted), percent(float64(st.Accepted)/15_000))

	psql := fmt.Sprintf("psql %q", redactDatabaseURL(d.PsqlURL()))
	fmt.Fprintf(out, "\nTry these in psql (%s):\n", psql)
	for _, q := range []string{
		"SELECT stream, latest_status, last_success_at, lag FROM keap.freshness ORDER BY stream;",
		"SELECT t.name AS tag, count(*) AS contacts FROM keap.contact_tags ct JOIN keap.tags t ON t.account = ct.account AND t.id = ct.tag_id GROUP BY t.name ORDER BY contacts DESC LIMIT 10;",
		"SELECT date_trunc('month', order_time) AS month, count(*) AS orders, sum(total) AS revenue FROM keap.orders WHERE _deleted_at IS NULL GROUP BY 1 ORDER BY 1 DESC LIMIT 12;",
	} {
		fmt.Fprintf(out, "  %s -c %q\n", psql, q)
	}
	if d.Private() {
		fmt.Fprintln(out, "\nThe private PostgreSQL cluster is removed when the demo exits.")
		if a.stdinTTY {
			fmt.Fprint(out, "Press Enter to stop it (try the queries first).")
			waitForEnter(ctx, a.stdin)
			fmt.Fprintln(out)
		}
	}
	return nil
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
