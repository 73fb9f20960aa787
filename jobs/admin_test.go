package jobs_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/keapsync/keapsync/jobs"
	"github.com/keapsync/keapsync/keap"
	"github.com/keapsync/keapsync/keap/keapsim"
	"github.com/keapsync/keapsync/warehouse"
)

// runByStream returns the run of stream among runs.
func runByStream(t *testing.T, runs []jobs.Run, stream string) jobs.Run {
	t.Helper()
	for _, r := range runs {
		if r.Stream == stream {
			return r
		}
	}
	t.Fatalf("no run of %s among %d runs", stream, len(runs))
	return jobs.Run{}
}

func TestAdmin_DiscardedJobRetriedResumesTheRunFromItsCheckpoint(t *testing.T) {
	t.Parallel()
	acct := unthrottled("acme", 600) // notes: 3 pages
	acct.mod = func(a *jobs.Account) { a.Keap.Retry.MaxAttempts = 1 }
	e := setup(t, []testAccount{acct}, func(c *jobs.Config) { c.Retry.MaxAttempts = 2 })
	sim := e.sims["acme"]
	e.start()

	// After a first sync, notes fail until the faults are cleared.
	e.sync(jobs.SyncRequest{Streams: []string{"notes"}}, time.Minute)
	mutate(t, sim, func(string) bool { return false })
	if err := sim.AddFault(keapsim.Fault{Kind: keapsim.Fault503, Probability: 1, Path: "/v2/notes"}); err != nil {
		t.Fatal(err)
	}
	runs := e.syncNoCheck(jobs.SyncRequest{Streams: []string{"notes"}, Full: true}, time.Minute)
	run := runByStream(t, runs, "notes")
	if run.Status != warehouse.RunFailed || !strings.Contains(run.LastError, "gave up after 2 attempts") {
		t.Fatalf("run = %s %q, want failed after 2 attempts", run.Status, run.LastError)
	}
	ctx := context.Background()
	// The run fails on the job's last attempt; River discards the job as
	// that attempt returns.
	var (
		discarded []jobs.Job
		err       error
	)
	for deadline := time.Now().Add(5 * time.Second); len(discarded) == 0 && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if discarded, err = e.p.Jobs(ctx, jobs.JobFilter{States: []string{"discarded"}}); err != nil {
			t.Fatal(err)
		}
	}
	if err != nil || len(discarded) != 1 || discarded[0].RunID != run.ID || discarded[0].LastError == "" {
		t.Fatalf("discarded jobs = %+v, %v; want the notes page job with its error", discarded, err)
	}

	sim.ClearFaults()
	calls := sim.Stats().Accepted
	retried, err := e.p.RetryDiscarded(ctx, "")
	if err != nil || len(retried) != 1 {
		t.Fatalf("RetryDiscarded = %+v, %v", retried, err)
	}
	final, err := e.p.Wait(ctx, []jobs.Run{run}, 50*time.Millisecond, nil)
	if err != nil {
		t.Fatal(err)
	}
	if final[0].Status != warehouse.RunSucceeded {
		t.Fatalf("resumed run ended %s: %s", final[0].Status, final[0].LastError)
	}
	// The retried job fetched each page of the full read once, from where
	// the run failed.
	notes, _ := sim.Live("notes")
	if got, want := sim.Stats().Accepted-calls, int64((notes+testPageSize-1)/testPageSize); got != want {
		t.Errorf("the resumed run made %d calls, want the %d pages of a full read", got, want)
	}
	e.assertMatchesTruth("acme", "notes")
}

func TestAdmin_CancelledRunIsContinuedByTheNextSyncWithoutRereading(t *testing.T) {
	t.Parallel()
	acct := testAccount{
		name:  "acme",
		sim:   keapsim.Options{Contacts: 1200, PerSecond: 4, PerMinute: -1, PerDay: -1, TenantPerMinute: -1},
		quota: keap.QuotaConfig{PerSecond: 4, PerMinute: -1, PerDay: -1},
	}
	e := setup(t, []testAccount{acct}, nil)
	sim := e.sims["acme"]
	e.start()
	ctx := context.Background()
	runs, err := e.p.Sync(ctx, jobs.SyncRequest{Streams: []string{"contacts"}})
	if err != nil {
		t.Fatal(err)
	}
	contactsRun := runByStream(t, runs, "contacts") // its definitions come along
	// Let a few pages commit, then cancel the chain's job: pending, or
	// running (River hands a new job to a worker at once, and it waits
	// there for its quota slot), whose page then commits nothing.
	var pending jobs.Job
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		r, _ := e.wh.Run(ctx, e.pool, contactsRun.ID)
		if r.Pages < 3 {
			continue
		}
		list, err := e.p.Jobs(ctx, jobs.JobFilter{States: []string{"available", "scheduled", "running", "retryable"}})
		if err != nil {
			t.Fatal(err)
		}
		if len(list) > 0 {
			pending = list[0]
			break
		}
	}
	if pending.ID == 0 {
		t.Fatal("no page job to cancel")
	}
	if _, err := e.p.CancelJobs(ctx, pending.ID); err != nil {
		t.Fatal(err)
	}
	cancelled, _ := e.wh.Run(ctx, e.pool, contactsRun.ID)
	if cancelled.Status != warehouse.RunCancelled || !strings.Contains(cancelled.LastError, "cancelled by an operator") {
		t.Fatalf("run after cancel = %s %q", cancelled.Status, cancelled.LastError)
	}
	time.Sleep(500 * time.Millisecond) // a job in flight ends as stale
	cancelled, _ = e.wh.Run(ctx, e.pool, contactsRun.ID)

	// The next sync continues the cancelled run's slice from its position
	// and reads what changed since in a slice of its own: the pages already
	// read are not read again.
	calls := sim.Stats().Accepted
	next := runByStream(t, e.sync(jobs.SyncRequest{Streams: []string{"contacts"}}, time.Minute), "contacts")
	if next.AdoptedFrom != cancelled.ID {
		t.Errorf("the next run adopted %d, want %d", next.AdoptedFrom, cancelled.ID)
	}
	contacts, _ := sim.Live("contacts")
	total := int64((contacts + testPageSize - 1) / testPageSize)
	if got := sim.Stats().Accepted - calls; got > total-cancelled.Pages+2 {
		t.Errorf("the continuing run made %d calls; %d pages were left (+1 for the new window, +1 for the definitions)", got, total-cancelled.Pages)
	}
	e.assertMatchesTruth("acme", "contacts")
}

func TestStatus_ReportsStreamsQuotaAndJobs(t *testing.T) {
	t.Parallel()
	acct := unthrottled("acme", 1500)
	acct.sim.PerDay = 900
	acct.quota.PerDay, acct.quota.Reserve = 1000, 10
	e := setup(t, []testAccount{acct}, func(c *jobs.Config) {
		c.Accounts[0].Streams = []string{"contacts", "tags", "users"}
	})
	ctx := context.Background()
	st, err := e.p.Status(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Accounts) != 1 || len(st.Accounts[0].Streams) != 4 { // the three and the contacts' definitions
		t.Fatalf("status = %+v", st)
	}
	for _, s := range st.Accounts[0].Streams {
		if s.State != jobs.StateNever || s.Run != nil || s.Rows != 0 {
			t.Errorf("before any sync: %+v", s)
		}
	}
	e.start()
	e.sync(jobs.SyncRequest{}, time.Minute)
	st, err = e.p.Status(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range st.Accounts[0].Streams {
		if s.State != jobs.StateSucceeded || s.LastSuccessAt == nil || s.Checkpoint == nil || s.Run == nil || s.Run.Pages == 0 {
			t.Errorf("after a sync: %+v", s)
		}
		if s.Stream == "contacts" && s.Rows != 1500 {
			t.Errorf("contacts rows = %d, want 1500", s.Rows)
		}
	}
	// Keap reported a day of 900, below the configured 1000: the reserve
	// comes off the lower one.
	q := st.Accounts[0].Quota
	calls := e.sims["acme"].Stats().Accepted
	if q.DayLimit != 890 || q.DayUsed != calls || q.DayLeft != 890-calls || q.ResetAt == nil {
		t.Errorf("quota = %+v, want 890 a day with %d used", q, calls)
	}
	if st.Jobs["completed"] == 0 {
		t.Errorf("jobs by state = %v, want completed ones", st.Jobs)
	}
	if _, err := e.p.Status(ctx, "nobody"); err == nil {
		t.Error("status of an unknown account succeeded")
	}
	if _, err := e.p.Jobs(ctx, jobs.JobFilter{States: []string{"exploded"}}); err == nil {
		t.Error("listing jobs in an unknown state succeeded")
	}
}

func TestPlan_CountsEachStreamOnceAndMatchesWhatTheSyncCosts(t *testing.T) {
	t.Parallel()
	acct := unthrottled("acme", 1200)
	acct.quota.PerDay = 300
	acct.mod = func(a *jobs.Account) { a.Schedule = "0 */6 * * *" }
	e := setup(t, []testAccount{acct}, nil)
	sim := e.sims["acme"]
	ctx := context.Background()
	plan, err := e.p.Plan(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	if got := sim.Stats().Accepted; got != plan.CountCalls {
		t.Errorf("planning made %d calls, the plan says %d", got, plan.CountCalls)
	}
	if plan.Interval != 6*time.Hour || plan.RunsPerDay != 4 || plan.DayBudget != 300 {
		t.Errorf("plan = interval %s, %v runs a day, budget %d", plan.Interval, plan.RunsPerDay, plan.DayBudget)
	}
	e.start()
	runs := e.sync(jobs.SyncRequest{}, time.Minute)
	byStream := map[string]jobs.Run{}
	for _, r := range runs {
		byStream[r.Stream] = r
	}
	for _, sp := range plan.Streams {
		r := byStream[sp.Stream]
		switch sp.Estimate {
		case "exact", "at_least":
			if sp.FirstSync != r.APICalls {
				t.Errorf("%s: plan says %d calls for the first sync, it took %d", sp.Stream, sp.FirstSync, r.APICalls)
			}
		case "unknown":
			if sp.Records != -1 {
				t.Errorf("%s: unknown estimate with %d records", sp.Stream, sp.Records)
			}
		}
		if n, err := sim.Live(sp.Stream); err == nil && sp.Records >= 0 && int64(n) != sp.Records {
			t.Errorf("%s: plan counted %d records, the simulator holds %d", sp.Stream, sp.Records, n)
		}
	}
	if plan.FirstSyncDays <= 0 || plan.IncrementalShare <= 0 {
		t.Errorf("plan = %+v", plan)
	}

	// Emails: each incremental run re-reads the window (30 days by
	// default), priced from a count of the emails sent in it, and the
	// next run costs what the plan says.
	emails := findStreamPlan(t, plan, "emails")
	truth, err := sim.Records("emails", nil)
	if err != nil {
		t.Fatal(err)
	}
	var inWindow int64
	for _, r := range truth {
		if r.Created.After(time.Now().Add(-30 * 24 * time.Hour)) {
			inWindow++
		}
	}
	if emails.RereadWindow != 30*24*time.Hour || emails.Changed != inWindow || emails.Incremental != (inWindow+testPageSize-1)/testPageSize {
		t.Errorf("emails plan: window %v, %d changed, %d calls a run; want 30 days, the %d emails sent in it", emails.RereadWindow, emails.Changed, emails.Incremental, inWindow)
	}
	if emails.FirstSyncDays <= 0 || emails.FirstSyncDays >= plan.FirstSyncDays {
		t.Errorf("emails' first sync takes %.2f days of %.2f in all", emails.FirstSyncDays, plan.FirstSyncDays)
	}
	runs = e.sync(jobs.SyncRequest{Streams: []string{"emails"}}, time.Minute)
	if r := runByStream(t, runs, "emails"); r.APICalls != emails.Incremental {
		t.Errorf("the next emails run made %d calls, the plan says %d", r.APICalls, emails.Incremental)
	}
}

func findStreamPlan(t *testing.T, p jobs.Plan, stream string) jobs.StreamPlan {
	t.Helper()
	for _, sp := range p.Streams {
		if sp.Stream == stream {
			return sp
		}
	}
	t.Fatalf("no plan of %s", stream)
	return jobs.StreamPlan{}
}

func TestStop_BoundedSoftStopLeavesRunningPagesToTheNextWorker(t *testing.T) {
	t.Parallel()
	acct := unthrottled("acme", 800)
	acct.sim.Faults = []keapsim.Fault{{Kind: keapsim.FaultSlow, Probability: 1, Delay: 800 * time.Millisecond}}
	e := setup(t, []testAccount{acct}, nil)
	ctx := context.Background()
	runCtx, cancelRun := context.WithCancel(ctx)
	defer cancelRun()
	if err := e.p.Start(runCtx); err != nil {
		t.Fatal(err)
	}
	runs, err := e.p.Sync(ctx, jobs.SyncRequest{Streams: []string{"contacts", "notes", "orders"}})
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(1200 * time.Millisecond) // pages in flight
	stopCtx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	if err := e.p.Stop(stopCtx); err != nil {
		t.Fatalf("stop: %v", err)
	}
	if !strings.Contains(e.logs.String(), "page left for another worker") {
		t.Fatal("no page was in flight when the worker stopped: the test proved nothing")
	}

	// Another worker finishes the runs; no job used an attempt on the stop.
	next, err := jobs.New(e.cfg)
	if err != nil {
		t.Fatal(err)
	}
	nextCtx, cancelNext := context.WithCancel(ctx)
	defer cancelNext()
	if err := next.Start(nextCtx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		_ = next.Stop(c)
	})
	wctx, wcancel := context.WithTimeout(ctx, time.Minute)
	defer wcancel()
	final, err := next.Wait(wctx, runs, 100*time.Millisecond, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range final {
		if r.Status != warehouse.RunSucceeded {
			t.Fatalf("run %s ended %s: %s", r.Stream, r.Status, r.LastError)
		}
	}
	var withErrors int
	if err := e.pool.QueryRow(ctx, fmt.Sprintf(`SELECT count(*) FROM %s WHERE coalesce(array_length(errors, 1), 0) > 0`,
		pgx.Identifier{e.mig.RiverSchema, "river_job"}.Sanitize())).Scan(&withErrors); err != nil {
		t.Fatal(err)
	}
	if withErrors != 0 {
		t.Errorf("%d jobs recorded an error across a soft stop", withErrors)
	}
	e.assertMatchesTruth("acme", "contacts", "notes", "orders")
}
