package jobs_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/keapsync/keapsync/keap"
	"github.com/keapsync/keapsync/keap/keapsim"
	"github.com/keapsync/keapsync/warehouse"
	"github.com/keapsync/keapsync/warehouse/warehousetest"
)

// TestQuotaLedger_FreshProcessSendsNoDoomedCall: a first client learns from
// Keap's headers that a limit is below the configured one and spends it; a
// second client in a new "process" (its own pool and warehouse, the same
// ledger tables) has heard nothing from Keap, yet none of its goroutines
// makes a request, because the ledger shares what Keap reported.
func TestQuotaLedger_FreshProcessSendsNoDoomedCall(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		opts   keapsim.Options
		window string
	}{
		// No spike arrest: a spike 429 under load would make the first
		// client retry, and its store count the rejected attempt too.
		// The simulator's day ends an hour after it starts, not at
		// midnight UTC as a client would guess: the fresh client must use
		// the reset Keap reported to the first.
		{"day limit below the configured one", keapsim.Options{PerDay: 3, DayLength: time.Hour, PerSecond: -1}, keap.WindowDay},
		{"minute limit below the configured one", keapsim.Options{PerMinute: 3, PerSecond: -1}, keap.WindowMinute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			b := warehousetest.New(t, 2)
			opts := tt.opts
			opts.Contacts = 20
			sim := keapsim.New(t, opts)
			model, _ := keap.StreamByName("contact_custom_fields")
			newClient := func(store keap.QuotaStore) *keap.Client {
				// The configured limits are the defaults (120/minute,
				// 15,000/day), far above the simulator's. The simulator has
				// no spike arrest, so no spacing either: a call held back
				// for leaving late on a busy machine (more than the 100ms
				// spacing margin) would cost one of its three slots.
				c, err := keap.New(keap.Config{
					BaseURL:    sim.URL(),
					Account:    "acme",
					Credential: keap.NewAPIKey(sim.APIKey()),
					Store:      store,
					Quota:      keap.QuotaConfig{MaxWait: time.Second, PerSecond: -1},
				})
				if err != nil {
					t.Fatal(err)
				}
				return c
			}

			first := newClient(b.Warehouse.QuotaLedger(b.Pool, warehouse.QuotaLedgerOptions{}))
			for range 3 {
				if _, err := first.ListPage(ctx, model, keap.PageRequest{}); err != nil {
					t.Fatal(err)
				}
			}
			learned := sim.Stats()
			firstStart := time.Now()
			_, err := first.ListPage(ctx, model, keap.PageRequest{})
			firstTook := time.Since(firstStart)
			var qe *keap.QuotaError
			if !errors.As(err, &qe) || qe.Window != tt.window {
				t.Fatalf("first client's fourth call: %v, want a %s quota error", err, tt.window)
			}
			wantRetryAt := qe.RetryAt
			// Keap reports the reset in epoch milliseconds; the day's
			// margin follows it. The ledger's times are the database's,
			// converted to the process's clock within a round trip.
			if reset := learned.DayResetAt.Truncate(time.Millisecond).Add(first.QuotaConfig().DayResetMargin); tt.window == keap.WindowDay && !near(wantRetryAt, reset) {
				t.Fatalf("first client retries at %v, want Keap's reset and the margin, %v", wantRetryAt, reset)
			}

			w, err := warehouse.New(b.Config)
			if err != nil {
				t.Fatal(err)
			}
			fresh := newClient(w.QuotaLedger(warehousetest.NewPool(t, 4), warehouse.QuotaLedgerOptions{}))
			before := sim.Stats().Requests
			errs := make([]error, 6)
			took := make([]time.Duration, len(errs))
			var wg sync.WaitGroup
			for i := range errs {
				wg.Go(func() {
					start := time.Now()
					_, errs[i] = fresh.ListPage(ctx, model, keap.PageRequest{})
					took[i] = time.Since(start)
				})
			}
			wg.Wait()
			for i, err := range errs {
				// Both processes convert the database's time to their
				// clock within half a round trip of the reservation (each
				// call's duration bounds its round trip): on a busy machine
				// that can be more than near's 50ms.
				tolerance := (firstTook+took[i])/2 + time.Millisecond
				var qe *keap.QuotaError
				if !errors.As(err, &qe) || qe.Window != tt.window || qe.RetryAt.Sub(wantRetryAt).Abs() > tolerance {
					t.Errorf("goroutine %d: err = %v, want a %s quota error until %v (within %s)", i, err, tt.window, wantRetryAt, tolerance)
				}
			}
			if after := sim.Stats().Requests; after != before {
				t.Fatalf("the fresh client made %d requests, want none", after-before)
			}
		})
	}
}

// near reports whether two times on this process's clock, converted from
// the database's by two ledgers, agree within their round trips.
func near(a, b time.Time) bool {
	d := a.Sub(b)
	return d > -50*time.Millisecond && d < 50*time.Millisecond
}
