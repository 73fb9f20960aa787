package jobs_test

import (
	"testing"
	"time"

	"github.com/keapsync/keapsync/jobs"
	"github.com/keapsync/keapsync/warehouse"
)

func TestSync_FullSyncOfEveryStreamMatchesTheSimulator(t *testing.T) {
	t.Parallel()
	e := setup(t, []testAccount{unthrottled("acme", 3000)}, nil)
	e.start()
	runs := e.sync(jobs.SyncRequest{}, 2*time.Minute)
	if len(runs) == 0 {
		t.Fatal("no run started")
	}
	for _, r := range runs {
		if r.Kind != warehouse.RunSync || r.Pages == 0 {
			t.Errorf("run %+v", r)
		}
	}
	e.assertMatchesTruth("acme")
}
