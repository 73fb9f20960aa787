package jobs_test

import (
	"strings"
	"testing"
	"time"

	"github.com/keapsync/keapsync/jobs"
	"github.com/keapsync/keapsync/keap"
	"github.com/keapsync/keapsync/keap/keapsim"
	"github.com/keapsync/keapsync/warehouse/warehousetest"
)

// TestSecrets_APIKeyNeverReachesTheDatabaseOrTheLogs syncs with a
// distinctive key through faults and retries, and with a rejected key: the
// key appears in no table (River's job args, errors and metadata
// included), no run error and no log line.
func TestSecrets_APIKeyNeverReachesTheDatabaseOrTheLogs(t *testing.T) {
	t.Parallel()
	const good, bad = "keapsync-secret-GOOD-7f3a9c", "keapsync-secret-BAD-41d0e2"
	ok := unthrottled("acme", 600)
	ok.sim.APIKeys = []string{good}
	ok.sim.Faults = []keapsim.Fault{{Kind: keapsim.Fault503, Probability: 0.2}, {Kind: keapsim.FaultTruncated, Probability: 0.1}}
	ok.mod = func(a *jobs.Account) { a.Keap.Retry.MaxAttempts = 1 }
	rejected := unthrottled("other", 500)
	rejected.sim.APIKeys = []string{"the-key-keap-knows"}
	rejected.mod = func(a *jobs.Account) { a.Keap.Credential = keap.NewAPIKey(bad) }
	e := setup(t, []testAccount{ok, rejected}, nil)
	e.start()
	e.sync(jobs.SyncRequest{Account: "acme"}, time.Minute)
	e.syncNoCheck(jobs.SyncRequest{Account: "other"}, time.Minute)

	dump := warehousetest.DumpSchemas(t, e.pool, 20, e.mig.DataSchema, e.mig.StateSchema, e.mig.RiverSchema)
	logs := e.logs.String()
	if !strings.Contains(logs, "API key rejected") || !strings.Contains(dump, "rejected the API key") {
		t.Fatal("the rejected key left no trace in the logs or the runs: the test proved nothing")
	}
	// River logs each retried attempt with its error.
	if !strings.Contains(logs, "Job errored; retrying") {
		t.Fatal("no retry was logged: the test proved nothing")
	}
	for _, secret := range []string{good, bad} {
		if strings.Contains(dump, secret) {
			t.Errorf("the database holds the key %q", secret)
		}
		if strings.Contains(logs, secret) {
			t.Errorf("the logs hold the key %q", secret)
		}
	}
}
