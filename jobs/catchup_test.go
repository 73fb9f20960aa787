package jobs_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/keapsync/keapsync/jobs"
)

// TestSchedule_AMissedRunIsMadeUpOnceWhenALeaderStarts: a run due while
// no process was up used to be lost (River's scheduler keeps its state in
// memory). A process that starts (or takes over as leader) two nightly
// runs later starts each stream's run once; one that starts with nothing
// missed starts none.
func TestSchedule_AMissedRunIsMadeUpOnceWhenALeaderStarts(t *testing.T) {
	t.Parallel()
	acct := unthrottled("acme", 20)
	acct.mod = func(a *jobs.Account) {
		a.Streams = []string{"tags", "users"}
		a.Schedule, a.ReconcileSchedule = "0 2 * * *", ""
	}
	e := setup(t, []testAccount{acct}, nil)
	e.start()
	e.sync(jobs.SyncRequest{}, time.Minute)
	ctx := context.Background()
	scheduled := func() int {
		var n int
		if err := e.pool.QueryRow(ctx, fmt.Sprintf(`SELECT count(*) FROM %s WHERE trigger = 'schedule'`,
			pgx.Identifier{e.mig.StateSchema, "sync_runs"}.Sanitize())).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	restart := func(later time.Duration) *jobs.Pipeline {
		t.Helper()
		stopCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		if err := e.p.Stop(stopCtx); err != nil {
			t.Fatal(err)
		}
		cfg := e.cfg
		cfg.Schedules = true
		cfg.Now = func() time.Time { return time.Now().Add(later) }
		p, err := jobs.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		if err := p.Start(ctx); err != nil {
			t.Fatal(err)
		}
		e.p = p // stopped by the env's cleanup
		return p
	}

	// catchUps counts the catch-up jobs that have completed: each
	// restart's leader inserts one, and its runs are started by then.
	catchUps := func() int {
		res, err := e.p.RiverClient().JobList(ctx, river.NewJobListParams().Kinds(jobs.KindAccountSync).
			States(rivertype.JobStateCompleted).First(100))
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, j := range res.Jobs {
			var args jobs.AccountSyncArgs
			if err := json.Unmarshal(j.EncodedArgs, &args); err == nil && args.CatchUp {
				n++
			}
		}
		return n
	}
	waitCatchUps := func(n int) {
		t.Helper()
		for deadline := time.Now().Add(30 * time.Second); catchUps() < n; time.Sleep(50 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("catch-up job %d did not complete within 30s", n)
			}
		}
	}

	// Nothing missed: the last runs started after the last due time.
	restart(0)
	waitCatchUps(1)
	if n := scheduled(); n != 0 {
		t.Fatalf("%d scheduled runs started with nothing missed", n)
	}

	// Two nightly runs missed: one run per configured stream.
	restart(50 * time.Hour)
	waitCatchUps(2)
	if n := scheduled(); n != 2 {
		t.Errorf("%d scheduled runs made up, want 2: one for tags, one for users", n)
	}
}
