package jobs_test

import (
	"context"
	"testing"
	"time"

	"github.com/keapsync/keapsync/jobs"
	"github.com/keapsync/keapsync/keap"
	"github.com/keapsync/keapsync/keap/keapsim"
	"github.com/keapsync/keapsync/warehouse"
)

// TestShared_ThreeProcessesKeepOneAccountsQuotaAndUseIt runs three worker
// processes on one database and one account, with Keap's per-second
// spacing and a per-minute window compressed to a few seconds (the same
// arithmetic as 5/s and 120/min, only faster): no 429, the simulator's
// busiest window never above the limit, and the window's budget used while
// work is queued.
func TestShared_ThreeProcessesKeepOneAccountsQuotaAndUseIt(t *testing.T) {
	t.Parallel()
	const (
		perSecond = 5
		perWindow = 8
		window    = 6 * time.Second
	)
	acct := testAccount{
		name: "acme",
		sim: keapsim.Options{Contacts: 1500, PerSecond: perSecond, PerMinute: perWindow, Minute: window,
			PerDay: -1, TenantPerMinute: -1, Seed: 5},
		// The window margin absorbs requests delayed between their slot and
		// Keap (1% of a real minute is 600ms); a compressed window gets an
		// absolute one.
		quota: keap.QuotaConfig{PerSecond: perSecond, PerMinute: perWindow, Minute: window, PerDay: -1,
			WindowMargin: 100 * time.Millisecond},
	}
	e := setup(t, []testAccount{acct}, nil)
	sim := e.sims["acme"]
	runs, err := e.p.Sync(context.Background(), jobs.SyncRequest{})
	if err != nil {
		t.Fatal(err)
	}
	spec := workerSpec{Workers: 4, JobTimeout: 10 * time.Second, RescueAfter: 15 * time.Second, QuotaWait: 2 * time.Second}
	// Processes start one after another, as a deployment starts them.
	var workers []*worker
	for i := range 3 {
		if i > 0 {
			time.Sleep(400 * time.Millisecond)
		}
		workers = append(workers, e.spawn(spec))
	}
	t.Cleanup(func() {
		if t.Failed() {
			for i, w := range workers {
				t.Logf("worker %d output:\n%s", i, w.out.String())
			}
		}
	})

	// Sample the simulator's count while the runs go on.
	type sample struct {
		at       time.Time
		accepted int64
	}
	var samples []sample
	ids := make([]int64, len(runs))
	for i, r := range runs {
		ids[i] = r.ID
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	final, err := e.p.Wait(ctx, ids, 100*time.Millisecond, func([]warehouse.SyncRun) {
		samples = append(samples, sample{time.Now(), sim.Stats().Accepted})
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range final {
		if r.Status != warehouse.RunSucceeded {
			t.Fatalf("run %d %s ended %s: %s", r.ID, r.Stream, r.Status, r.LastError)
		}
	}
	st := sim.Stats()
	if st.Rejected != 0 {
		t.Errorf("%d requests rejected: %+v", st.Rejected, st)
	}
	if st.PeakMinute > perWindow {
		t.Errorf("the busiest window held %d requests, above the limit %d", st.PeakMinute, perWindow)
	}
	e.assertMatchesTruth("acme")

	// Utilization: after the first window, over whole windows while every
	// run was still going (the last sample is the end).
	var first time.Time
	for _, s := range samples {
		if s.accepted > 0 {
			first = s.at
			break
		}
	}
	from, to := first.Add(window), first.Add(window)
	var fromN, toN int64 = -1, -1
	windows := 0
	for _, s := range samples[:len(samples)-1] {
		if fromN < 0 && !s.at.Before(from) {
			fromN, from = s.accepted, s.at
		}
		if fromN >= 0 && s.at.Sub(from) >= time.Duration(windows+1)*window {
			windows++
			toN, to = s.accepted, s.at
		}
	}
	if windows < 3 {
		t.Fatalf("work was queued for only %d windows after the first: make the tenant larger", windows)
	}
	elapsed := to.Sub(from)
	utilization := float64(toN-fromN) / (float64(perWindow) * elapsed.Seconds() / window.Seconds())
	t.Logf("%d requests over %s (%d windows): utilization %.3f of the %d-per-%s window; peak %d",
		toN-fromN, elapsed.Round(time.Millisecond), windows, utilization, perWindow, window, st.PeakMinute)
	if utilization < 0.95 {
		t.Errorf("utilization %.3f of the tightest window while work was queued, want >= 0.95", utilization)
	}
}
