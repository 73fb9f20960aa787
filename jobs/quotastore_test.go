package jobs_test

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/keapsync/keapsync/keap"
	"github.com/keapsync/keapsync/keap/keaptest"
	"github.com/keapsync/keapsync/warehouse"
	"github.com/keapsync/keapsync/warehouse/warehousetest"
)

// The warehouse's ledger is a keap.QuotaStore: its quota types are
// identical to keap's.
var _ keap.QuotaStore = (*warehouse.QuotaLedger)(nil)

// The ledger runs the suite every QuotaStore runs, on a fake clock that
// stands in for the database's too.
func TestQuotaLedger_FollowsTheQuotaStoreSemantics(t *testing.T) {
	t.Parallel()
	// Every subtest's ledger in schemas of its own, through one small pool.
	pool := warehousetest.NewPool(t, 4)
	keaptest.QuotaStoreSuite(t, func(t *testing.T, clock *keaptest.FakeClock) keap.QuotaStore {
		b := warehousetest.NewOn(t, pool)
		return b.Warehouse.QuotaLedger(b.Pool, warehouse.QuotaLedgerOptions{Now: clock.Now, DatabaseNow: clock.Now})
	})
}

// TestQuotaLedger_AgreesWithMemoryStore replays random operations on the
// client's in-memory store and on the Postgres ledger: both implement one
// semantics, so every answer must match.
func TestQuotaLedger_AgreesWithMemoryStore(t *testing.T) {
	t.Parallel()
	b := warehousetest.New(t, 2)
	ctx := context.Background()
	clock := keaptest.NewFakeClock(time.Time{})
	ledger := b.Warehouse.QuotaLedger(b.Pool, warehouse.QuotaLedgerOptions{Now: clock.Now, DatabaseNow: clock.Now})
	mem := keap.NewMemoryQuotaStore(clock.Now)

	rnd := rand.New(rand.NewPCG(1, 2))
	base := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	now := base
	dayReset := base.Add(2 * time.Second)
	outcomes := map[string]int{}
	for i := range 1000 {
		// The clock jumps back now and then (a stepped clock).
		now = now.Add(time.Duration(rnd.IntN(60)-10) * time.Millisecond)
		clock.Set(now)
		if !now.Before(dayReset) {
			dayReset = dayReset.Add(2 * time.Second)
		}
		account := []string{"a", "b"}[rnd.IntN(2)]
		if rnd.IntN(5) == 0 {
			obs := keap.QuotaObservation{DayLimit: -1, DayUsed: -1, WindowLimit: -1, WindowUsed: -1, Window: time.Second}
			if rnd.IntN(2) == 0 {
				obs.DayUsed = int64(rnd.IntN(30))
			}
			if rnd.IntN(3) == 0 {
				obs.DayResetAt = dayReset.Add(time.Duration(rnd.IntN(3)) * time.Second)
			}
			if rnd.IntN(2) == 0 {
				obs.WindowUsed = int64(rnd.IntN(6))
			}
			// Reported limits, sometimes 0 (not reported), around the
			// callers' so that either may be the tighter.
			if rnd.IntN(3) == 0 {
				obs.DayLimit = int64(rnd.IntN(35))
			}
			if rnd.IntN(3) == 0 {
				obs.WindowLimit = int64(rnd.IntN(7))
			}
			if rnd.IntN(3) == 0 {
				obs.Interval = time.Duration(rnd.IntN(6)) * 10 * time.Millisecond
			}
			errL := ledger.Observe(ctx, account, now, obs)
			errM := mem.Observe(ctx, account, now, obs)
			if errL != nil || errM != nil {
				t.Fatalf("op %d: Observe: ledger %v, memory %v", i, errL, errM)
			}
			continue
		}
		lim := keap.QuotaLimits{
			Interval:       time.Duration(rnd.IntN(3)) * 20 * time.Millisecond,
			PerWindow:      int64(rnd.IntN(2) * (3 + rnd.IntN(3))),
			Window:         time.Second,
			PerDay:         int64(40 + rnd.IntN(20)),
			DayReserve:     int64(rnd.IntN(4)),
			DayShare:       []int64{0, 0, 500, 900, 1000}[rnd.IntN(5)],
			DayLength:      2 * time.Second,
			DayResetMargin: time.Duration(rnd.IntN(2)) * 100 * time.Millisecond,
		}
		maxWait := time.Duration(rnd.IntN(3)) * 300 * time.Millisecond
		gl, errL := ledger.Reserve(ctx, account, maxWait, lim)
		gm, errM := mem.Reserve(ctx, account, maxWait, lim)
		if errL != nil || errM != nil {
			t.Fatalf("op %d: Reserve: ledger %v, memory %v", i, errL, errM)
		}
		if gl.OK != gm.OK || !gl.At.Equal(gm.At) || gl.Window != gm.Window {
			t.Fatalf("op %d: Reserve(%s, now %s, wait %s, %+v): ledger %+v, memory %+v",
				i, account, now.Format(time.StampMilli), maxWait, lim, gl, gm)
		}
		outcomes[gm.Window]++
	}
	// Agreement means little unless every outcome occurred.
	for _, w := range []string{"", keap.WindowSecond, keap.WindowMinute, keap.WindowDay} {
		if outcomes[w] < 10 {
			t.Fatalf("outcomes %v: fewer than 10 of %q", outcomes, w)
		}
	}
}
