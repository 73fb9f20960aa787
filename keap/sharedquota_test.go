package keap

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/keapsync/keapsync/keap/keapsim"
)

// TestClient_FreshClientOnSharedStoreSendsNoDoomedCall starts a second
// client (a new process, in effect) on the store of a first one that
// learned from Keap's headers that a limit is below the configured one and
// spent it. The second client has heard nothing from Keap yet; the store
// tells it, so none of its goroutines makes a request.
func TestClient_FreshClientOnSharedStoreSendsNoDoomedCall(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		opts   keapsim.Options
		window string
	}{
		// No spike arrest: a spike 429 under load would make the first
		// client retry, and its store count the rejected attempt too.
		// The simulator's day ends an hour after it starts, not at
		// midnight UTC as the client would guess: the fresh client must
		// use the reset Keap reported to the first.
		{"day limit below the configured one", keapsim.Options{PerDay: 3, DayLength: time.Hour, PerSecond: -1}, WindowDay},
		{"minute limit below the configured one", keapsim.Options{PerMinute: 3, PerSecond: -1}, WindowMinute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			opts := tt.opts
			opts.Contacts, opts.APIKeys = 20, []string{testKey}
			sim := keapsim.New(t, opts)
			store := NewMemoryQuotaStore(nil)
			newClient := func() *Client {
				// The configured limits are the defaults (120/minute,
				// 15,000/day), far above the simulator's.
				return newSimClient(t, sim, &syncBuffer{}, func(c *Config) {
					c.Store = store
					// No spike arrest in the simulator, so no spacing: a
					// call held back for leaving late on a busy machine
					// would cost one of the three slots.
					c.Quota.MaxWait, c.Quota.PerSecond = time.Second, -1
				})
			}
			wantRetryAt := spendLearnedLimit(t, newClient(), sim, tt.window)

			fresh := newClient()
			before := sim.Stats().Requests
			errs := listConcurrently(fresh, 6)
			for i, err := range errs {
				var qe *QuotaError
				if !errors.As(err, &qe) || qe.Window != tt.window || !qe.RetryAt.Equal(wantRetryAt) {
					t.Errorf("goroutine %d: err = %v, want a %s quota error until %v", i, err, tt.window, wantRetryAt)
				}
			}
			if after := sim.Stats().Requests; after != before {
				t.Fatalf("the fresh client made %d requests, want none", after-before)
			}
		})
	}
}

// spendLearnedLimit makes first spend the simulator's (low) limit of
// window, three calls, and returns when first itself says the window frees:
// after the day's reset Keap reported, or when its oldest call leaves the
// rolling minute.
func spendLearnedLimit(t *testing.T, first *Client, sim *keapsim.Server, window string) time.Time {
	t.Helper()
	ctx := context.Background()
	model := mustStream(t, "contact_custom_fields")
	for range 3 {
		if _, err := first.ListPage(ctx, model, PageRequest{}); err != nil {
			t.Fatal(err)
		}
	}
	before := sim.Stats()
	_, err := first.ListPage(ctx, model, PageRequest{})
	var qe *QuotaError
	if !errors.As(err, &qe) || qe.Window != window {
		t.Fatalf("first client's fourth call: %v, want a %s quota error", err, window)
	}
	// Keap reports the reset in epoch milliseconds; the day's margin
	// follows it.
	if reset := before.DayResetAt.Truncate(time.Millisecond).Add(first.QuotaConfig().DayResetMargin); window == WindowDay && !qe.RetryAt.Equal(reset) {
		t.Fatalf("first client retries at %v, want Keap's reset %v", qe.RetryAt, reset)
	}
	if window == WindowMinute && (!qe.RetryAt.After(time.Now()) || qe.RetryAt.After(time.Now().Add(time.Minute+time.Second))) {
		t.Fatalf("first client retries at %v, want within the next minute", qe.RetryAt)
	}
	if after := sim.Stats(); after.Requests != before.Requests || after.Rejected != 0 {
		t.Fatalf("first client: %d requests after learning the limit, %d rejected", after.Requests-before.Requests, after.Rejected)
	}
	return qe.RetryAt
}

// listConcurrently calls ListPage from n goroutines at once and returns
// their errors.
func listConcurrently(c *Client, n int) []error {
	model, _ := StreamByName("contact_custom_fields")
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			_, errs[i] = c.ListPage(context.Background(), model, PageRequest{})
		})
	}
	wg.Wait()
	return errs
}

// newGovernorOnStore returns a governor sharing store and clock, as a
// second process would, with exact windows (no margins).
func newGovernorOnStore(t *testing.T, q QuotaConfig, store QuotaStore, clock Clock) *governor {
	t.Helper()
	q.SpacingMargin, q.WindowMargin, q.DayResetMargin = -1, -1, -1
	cfg := Config{Account: "acct", Credential: NewAPIKey("k"), Clock: clock, Store: store, Quota: q}.withDefaults()
	if err := cfg.validate(); err != nil {
		t.Fatal(err)
	}
	return newGovernor(cfg)
}

func TestGovernor_FreshGovernorAppliesLimitsAnotherLearned(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	none := QuotaReading{DayLimit: -1, DayUsed: -1, DayAvailable: -1, WindowLimit: -1, WindowUsed: -1, WindowAvailable: -1, TenantLimit: -1, TenantUsed: -1, TenantAvailable: -1}

	t.Run("the configured reserve comes off Keap's lower day limit", func(t *testing.T) {
		t.Parallel()
		q := QuotaConfig{PerSecond: -1, PerMinute: -1, PerDay: 15000, Reserve: 3}
		first, clock := newTestGovernor(t, q)
		r := none
		r.At, r.DayLimit, r.DayUsed, r.DayResetAt = clock.Now(), 10, 0, clock.Now().Add(5*time.Hour)
		if err := first.observe(ctx, r); err != nil {
			t.Fatal(err)
		}
		second := newGovernorOnStore(t, q, first.store, clock)
		for i := range 7 {
			if err := reserve(second, ctx, false); err != nil {
				t.Fatalf("call %d: %v", i, err)
			}
		}
		wantQuotaError(t, reserve(second, ctx, false), WindowDay, r.DayResetAt)
	})

	t.Run("Keap's spike limit spaces the calls", func(t *testing.T) {
		t.Parallel()
		q := QuotaConfig{PerSecond: 5, PerMinute: 1000}
		first, clock := newTestGovernor(t, q)
		r := none
		r.At, r.SpikeLimit = clock.Now(), "2ps"
		if err := first.observe(ctx, r); err != nil {
			t.Fatal(err)
		}
		second := newGovernorOnStore(t, q, first.store, clock)
		start := clock.Now()
		for range 3 {
			if err := reserve(second, ctx, false); err != nil {
				t.Fatal(err)
			}
		}
		if got, want := clock.Now().Sub(start), time.Second; got != want {
			t.Fatalf("3 calls took %v, want %v (500ms apart, as 2ps implies)", got, want)
		}
	})
}
