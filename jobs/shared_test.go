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
// work is queued. Then again with the processes' clocks off the real one,
// as machines' clocks are: one 700ms ahead, one 400ms behind (the ledger
// decides on the database's clock, and each process converts its slots to
// its own). The two run one after the other, each the only one of its kind.
func TestShared_ThreeProcessesKeepOneAccountsQuotaAndUseIt(t *testing.T) {
	t.Parallel()
	t.Run("clocks agree", func(t *testing.T) {
		threeProcessesShareOneAccount(t, [3]time.Duration{})
	})
	t.Run("clocks 700ms ahead and 400ms behind", func(t *testing.T) {
		threeProcessesShareOneAccount(t, [3]time.Duration{0, 700 * time.Millisecond, -400 * time.Millisecond})
	})
}

// threeProcessesShareOneAccount syncs an account with three worker
// processes whose clocks are offset as given. The simulator runs in a
// process of its own at a higher priority (as Keap's gateway is not
// starved by our machine) and timestamps each request as it arrives; the
// workers are built without the race detector, as users run them.
func threeProcessesShareOneAccount(t *testing.T, offsets [3]time.Duration) {
	t.Helper()
	const (
		perSecond = 5
		perWindow = 8
		window    = 8 * time.Second
	)
	acct := testAccount{
		name: "acme",
		fake: true,
		sim: keapsim.Options{Contacts: 1500, PerSecond: perSecond, PerMinute: perWindow, Minute: window,
			PerDay: -1, TenantPerMinute: -1, Seed: 5},
		// 1% of a real minute is 600ms; a compressed window gets an
		// absolute margin, still more than the spacing margin (100ms) a
		// call may leave late by.
		quota: keap.QuotaConfig{PerSecond: perSecond, PerMinute: perWindow, Minute: window, PerDay: -1,
			WindowMargin: 200 * time.Millisecond},
	}
	e := setup(t, []testAccount{acct}, nil)
	runs, err := e.p.Sync(context.Background(), jobs.SyncRequest{})
	if err != nil {
		t.Fatal(err)
	}
	// Processes start one after another, as a deployment starts them.
	var workers []*worker
	for i, offset := range offsets {
		if i > 0 {
			time.Sleep(400 * time.Millisecond)
		}
		workers = append(workers, e.spawn(workerSpec{Workers: 4, JobTimeout: 10 * time.Second, RescueAfter: 15 * time.Second,
			QuotaWait: 2 * time.Second, ClockOffset: offset}))
	}
	t.Cleanup(func() {
		if t.Failed() {
			for i, w := range workers {
				t.Logf("worker %d output:\n%s", i, w.out.String())
			}
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	final, err := e.p.Wait(ctx, runs, 200*time.Millisecond, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range final {
		if r.Status != warehouse.RunSucceeded {
			t.Fatalf("run %d %s ended %s: %s", r.ID, r.Stream, r.Status, r.LastError)
		}
	}
	var heldBack int
	var late time.Duration
	for _, w := range workers {
		sum := w.stop(t)
		heldBack += sum.HeldBack
		late = max(late, sum.LateMax)
	}
	st := e.stats("acme")
	if st.Rejected != 0 {
		t.Errorf("%d requests rejected: %+v", st.Rejected, st)
	}
	if st.PeakMinute > perWindow {
		t.Errorf("the busiest window held %d requests, above the limit %d", st.PeakMinute, perWindow)
	}
	e.assertMatchesTruth("acme")

	// Utilization: the window allows perWindow requests per window, so
	// while work is queued each batch of perWindow requests starts a
	// window after the one before. From the first request of the second
	// batch to the first of the last, k batches took span, as the
	// simulator timestamped them; a quota used fully would take k windows
	// (the window's margin alone keeps that to 8/8.2 = 0.976).
	arrivals := e.arrivals("acme")
	batches := (len(arrivals) - 1) / perWindow // the index of the last batch
	if batches < 4 {
		t.Fatalf("work was queued for only %d windows: make the tenant larger", batches)
	}
	k := batches - 1
	span := arrivals[batches*perWindow].Sub(arrivals[perWindow])
	utilization := float64(k) * window.Seconds() / span.Seconds()
	t.Logf("clocks %v: %d requests, %d windows of %d in %s: utilization %.3f of the %d-per-%s window; peak %d; %d calls held back for lateness, the latest %s after its slot",
		offsets, len(arrivals), k, perWindow, span.Round(time.Millisecond), utilization, perWindow, window, st.PeakMinute, heldBack, late.Round(time.Millisecond))
	if utilization < 0.95 {
		t.Errorf("utilization %.3f of the tightest window while work was queued, want >= 0.95", utilization)
	}
}
