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
		window    = 8 * time.Second
	)
	acct := testAccount{
		name: "acme",
		sim: keapsim.Options{Contacts: 1500, PerSecond: perSecond, PerMinute: perWindow, Minute: window,
			PerDay: -1, TenantPerMinute: -1, Seed: 5},
		// The window margin absorbs requests delayed between their slot and
		// Keap (1% of a real minute is 600ms); a compressed window gets an
		// absolute one.
		quota: keap.QuotaConfig{PerSecond: perSecond, PerMinute: perWindow, Minute: window, PerDay: -1,
			WindowMargin: 200 * time.Millisecond},
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
	// The simulator's count is sampled often (it costs no database query)
	// while the runs go on.
	stopSampling := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			samples = append(samples, sample{time.Now(), sim.Stats().Accepted})
			select {
			case <-stopSampling:
				return
			case <-tick.C:
			}
		}
	}()
	final, err := e.p.Wait(ctx, ids, 200*time.Millisecond, nil)
	close(stopSampling)
	<-sampled
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

	// Utilization: the window allows perWindow requests per window, so
	// while work is queued each full window's worth of requests starts a
	// window after the last. Measure from the first request of the second
	// window's batch to the first request of the last whole batch before
	// the end: k batches of perWindow requests took span; a quota used
	// fully would take k windows. (Batch starts are found from the samples,
	// to within their period; counting over a fixed interval instead would
	// depend on where the batches fall.)
	batchStart := func(k int64) (time.Time, bool) { // when the k-th batch (from 0) began
		for _, s := range samples[:len(samples)-1] {
			if s.accepted > k*perWindow {
				return s.at, true
			}
		}
		return time.Time{}, false
	}
	t1, ok := batchStart(1)
	if !ok {
		t.Fatal("work was not queued past the first window: make the tenant larger")
	}
	var k int64
	var t2 time.Time
	for n := int64(2); ; n++ {
		at, ok := batchStart(n)
		if !ok {
			break
		}
		k, t2 = n-1, at
	}
	if k < 3 {
		t.Fatalf("work was queued for only %d windows after the first: make the tenant larger", k)
	}
	span := t2.Sub(t1)
	utilization := float64(k) * window.Seconds() / span.Seconds()
	t.Logf("%d windows of %d requests in %s: utilization %.3f of the %d-per-%s window; peak %d",
		k, perWindow, span.Round(time.Millisecond), utilization, perWindow, window, st.PeakMinute)
	if utilization < 0.95 {
		t.Errorf("utilization %.3f of the tightest window while work was queued, want >= 0.95", utilization)
	}
}
