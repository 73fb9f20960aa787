package keap_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/keapsync/keapsync/keap"
	"github.com/keapsync/keapsync/keap/keapsim"
)

// TestClient_BackfillLeavesTheEndOfTheDayToIncrementalSyncs spends a small
// day against the simulator: background calls stop at BackgroundShare of
// PerDay - Reserve with a day quota error until the reset, foreground calls
// go on to PerDay - Reserve, and the simulator never rejects one.
func TestClient_BackfillLeavesTheEndOfTheDayToIncrementalSyncs(t *testing.T) {
	t.Parallel()
	env := newSimEnv(t, keapsim.Options{Contacts: 50, PerDay: 20}, func(c *keap.Config) {
		c.Quota.PerDay, c.Quota.Reserve, c.Quota.BackgroundShare = 20, 2, 0.75 // 13 of 18
	})
	ctx := context.Background()
	contacts := keap.MustStream(t, "contacts")
	// Midnight, and the default DayResetMargin.
	reset := time.Date(2026, 3, 5, 0, 0, 2, 0, time.UTC)
	wantDayRefusal := func(err error) {
		t.Helper()
		var qe *keap.QuotaError
		if !errors.As(err, &qe) || qe.Window != keap.WindowDay || !qe.RetryAt.Equal(reset) {
			t.Fatalf("err = %v, want a day quota error until %v", err, reset)
		}
	}
	backfill := keap.PageRequest{PageSize: 3, Background: true}
	for i := range 13 {
		page, err := env.client.ListPage(ctx, contacts, backfill)
		if err != nil {
			t.Fatalf("background call %d: %v", i+1, err)
		}
		backfill.AfterID = page.Records[len(page.Records)-1].ID
	}
	_, err := env.client.ListPage(ctx, contacts, backfill)
	wantDayRefusal(err)
	if n := env.sim.Stats().Requests; n != 13 {
		t.Fatalf("%d requests after the background share, want 13", n)
	}

	incremental := keap.PageRequest{PageSize: 1, Since: simStart.Add(-time.Hour)}
	for i := range 5 {
		if _, err := env.client.ListPage(ctx, contacts, incremental); err != nil {
			t.Fatalf("foreground call %d after the backfill's share: %v", i+1, err)
		}
	}
	_, err = env.client.ListPage(ctx, contacts, incremental)
	wantDayRefusal(err)
	_, err = env.client.ListPage(ctx, contacts, backfill)
	wantDayRefusal(err)
	if st := env.sim.Stats(); st.Requests != 18 || st.Rejected != 0 {
		t.Fatalf("stats %+v: want 18 requests (20 less the reserve of 2) and no 429", st)
	}

	// The next day the backfill resumes.
	env.clock.Set(reset.Add(time.Minute))
	if _, err := env.client.ListPage(ctx, contacts, backfill); err != nil {
		t.Fatalf("background call on the next day: %v", err)
	}
}
