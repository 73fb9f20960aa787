package keap_test

import (
	"testing"

	"github.com/keapsync/keapsync/keap"
	"github.com/keapsync/keapsync/keap/keaptest"
)

// The in-memory store runs the suite every QuotaStore runs (the Postgres
// ledger runs it in package jobs' tests).
func TestMemoryQuotaStore_FollowsTheQuotaStoreSemantics(t *testing.T) {
	t.Parallel()
	keaptest.QuotaStoreSuite(t, func(_ *testing.T, clock *keaptest.FakeClock) keap.QuotaStore {
		return keap.NewMemoryQuotaStore(clock.Now)
	})
}
