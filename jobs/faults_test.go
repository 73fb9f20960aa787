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

func TestFaults_ServerErrorsHTMLTruncationResetsAndSlownessCostOnlyTheirRetries(t *testing.T) {
	t.Parallel()
	acct := unthrottled("acme", 1500)
	acct.sim.Faults = []keapsim.Fault{
		{Kind: keapsim.Fault500, Probability: 0.04},
		{Kind: keapsim.Fault502, Probability: 0.04},
		{Kind: keapsim.Fault503, Probability: 0.04},
		{Kind: keapsim.FaultHTML, Probability: 0.04},
		{Kind: keapsim.FaultTruncated, Probability: 0.04},
		{Kind: keapsim.FaultReset, Probability: 0.04},
		{Kind: keapsim.FaultContentType, Probability: 0.04},
		{Kind: keapsim.FaultSlow, Probability: 0.04, Delay: 300 * time.Millisecond},
	}
	acct.sim.FaultSeed = 42
	e := setup(t, []testAccount{acct}, nil)
	e.start()
	for range 2 { // a first sync, then an incremental one after changes
		runs := e.sync(jobs.SyncRequest{}, 3*time.Minute)
		var pages int64
		for _, r := range runs {
			pages += r.Pages
		}
		e.assertMatchesTruth("acme")
		st := e.sims["acme"].Stats()
		t.Logf("%d pages, %d requests, %d faults injected", pages, st.Accepted, st.Faults)
		mutate(t, e.sims["acme"], func(string) bool { return false })
	}
	st := e.sims["acme"].Stats()
	if st.Faults == 0 {
		t.Fatal("no fault was injected")
	}
	var pages int64
	rows, err := e.pool.Query(context.Background(), fmt.Sprintf(`SELECT pages FROM %s.sync_runs`, pgx.Identifier{e.mig.StateSchema}.Sanitize()))
	if err != nil {
		t.Fatal(err)
	}
	all, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range all {
		pages += n
	}
	if st.Accepted > pages+st.Faults {
		t.Errorf("%d requests for %d pages and %d faults: calls beyond what the faults explain", st.Accepted, pages, st.Faults)
	}
}

func TestFaults_RejectedKeyFailsTheRunsCancelsTheJobsAndStopsCalling(t *testing.T) {
	t.Parallel()
	acct := unthrottled("acme", 500)
	acct.sim.APIKeys = []string{"the-right-key"}
	acct.mod = func(a *jobs.Account) { a.Keap.Credential = keap.NewAPIKey("keapsync-wrong-key-5c1d") }
	e := setup(t, []testAccount{acct}, nil)
	e.start()
	runs := e.syncNoCheck(jobs.SyncRequest{}, time.Minute)
	for _, r := range runs {
		if r.Status != warehouse.RunFailed {
			t.Errorf("run %s ended %s, want failed", r.Stream, r.Status)
			continue
		}
		for _, want := range []string{"account acme", "rejected the API key"} {
			if !strings.Contains(r.LastError, want) {
				t.Errorf("run %s: error %q does not say %q", r.Stream, r.LastError, want)
			}
		}
		if strings.Contains(r.LastError, "keapsync-wrong-key-5c1d") {
			t.Errorf("run %s: error holds the key", r.Stream)
		}
	}
	sim := e.sims["acme"]
	calls := sim.Stats().Unauthorized
	if calls == 0 || calls > int64(e.cfg.Workers) {
		t.Errorf("%d calls with the rejected key, want 1 to %d (those in flight)", calls, e.cfg.Workers)
	}
	// Jobs running when the key was rejected end as they return.
	var live int
	for deadline := time.Now().Add(5 * time.Second); ; {
		err := e.pool.QueryRow(context.Background(), fmt.Sprintf(`SELECT count(*) FROM %s.river_job
			WHERE state IN ('available', 'pending', 'running', 'retryable', 'scheduled')`,
			pgx.Identifier{e.mig.RiverSchema}.Sanitize())).Scan(&live)
		if err != nil {
			t.Fatal(err)
		}
		if live == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if live != 0 {
		t.Errorf("%d jobs left waiting after the key was rejected", live)
	}
	time.Sleep(time.Second)
	if after := sim.Stats().Requests; after != calls {
		t.Errorf("calls went on after the rejection: %d requests, %d at the end of the runs", after, calls)
	}
}

func TestFairness_SmallAccountFinishesBeforeABacklogTenTimesItsSize(t *testing.T) {
	t.Parallel()
	quota := keap.QuotaConfig{PerSecond: 20, PerMinute: -1, PerDay: -1}
	sim := func(contacts int) keapsim.Options {
		return keapsim.Options{Contacts: contacts, PerSecond: 20, PerMinute: -1, PerDay: -1, TenantPerMinute: -1}
	}
	e := setup(t, []testAccount{
		{name: "big", sim: sim(5000), quota: quota},
		{name: "small", sim: sim(500), quota: quota},
	}, func(c *jobs.Config) { c.Workers = 2 })
	e.start()
	ctx := context.Background()
	// The big account's backlog is queued first.
	big, err := e.p.Sync(ctx, jobs.SyncRequest{Account: "big"})
	if err != nil {
		t.Fatal(err)
	}
	small, err := e.p.Sync(ctx, jobs.SyncRequest{Account: "small"})
	if err != nil {
		t.Fatal(err)
	}
	finished := func(runs []jobs.Run) time.Time {
		wctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
		defer cancel()
		final, err := e.p.Wait(wctx, runs, 50*time.Millisecond, nil)
		if err != nil {
			t.Fatal(err)
		}
		var last time.Time
		for _, r := range final {
			if r.Status != warehouse.RunSucceeded {
				t.Fatalf("run %s/%s ended %s: %s", r.Account, r.Stream, r.Status, r.LastError)
			}
			if r.FinishedAt.After(last) {
				last = r.FinishedAt
			}
		}
		return last
	}
	smallDone := finished(small)
	bigDone := finished(big)
	if !smallDone.Before(bigDone) {
		t.Errorf("the small account finished at %s, after the big one (%s)", smallDone, bigDone)
	}
	t.Logf("small finished %s before big", bigDone.Sub(smallDone).Round(time.Millisecond))
	e.assertMatchesTruth("small")
	e.assertMatchesTruth("big")
}
