package jobs_test

import (
	"context"
	"testing"
	"time"

	"github.com/keapsync/keapsync/jobs"
	"github.com/keapsync/keapsync/keap"
	"github.com/keapsync/keapsync/keap/keapsim"
)

func TestSplit_LatencyBoundReadIsSplitIntoParallelRanges(t *testing.T) {
	t.Parallel()
	acct := testAccount{
		name: "acme",
		sim: keapsim.Options{Contacts: 2400, PerSecond: 10, PerMinute: -1, PerDay: -1, TenantPerMinute: -1,
			Faults: []keapsim.Fault{{Kind: keapsim.FaultSlow, Probability: 1, Delay: 400 * time.Millisecond, PathPrefix: "/v2/contacts"}}},
		quota: keap.QuotaConfig{PerSecond: 10, PerMinute: -1, PerDay: -1},
	}
	e := setup(t, []testAccount{acct}, func(c *jobs.Config) { c.Workers, c.MaxSlices = 4, 4 })
	e.start()
	runs := e.sync(jobs.SyncRequest{Streams: []string{"contacts"}}, 2*time.Minute)
	run := runByStream(t, runs, "contacts") // its definitions come along
	slices, err := e.wh.Slices(context.Background(), e.pool, run.ID)
	if err != nil {
		t.Fatal(err)
	}
	e.assertMatchesTruth("acme", "contacts")
	const minPages = 24
	t.Logf("%d pages (%d calls) in %d slices", run.Pages, run.APICalls, len(slices))
	if len(slices) < 3 {
		t.Errorf("a read answered in 400ms a page at 10 calls a second was not split: %d slices", len(slices))
	}
	// Each extra slice may end in a partial page.
	if run.APICalls > minPages+int64(len(slices)) {
		t.Errorf("%d calls for %d pages of records in %d slices", run.APICalls, minPages, len(slices))
	}
}
