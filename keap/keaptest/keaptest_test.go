package keaptest_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/keapsync/keapsync/keap"
	"github.com/keapsync/keapsync/keap/keapsim"
	"github.com/keapsync/keapsync/keap/keaptest"
)

var start = time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC)

func TestFakeClock_SleepAdvancesAtOnceAndIsRecorded(t *testing.T) {
	t.Parallel()
	c := keaptest.NewFakeClock(start)
	if err := c.Sleep(context.Background(), 2*time.Second); err != nil {
		t.Fatal(err)
	}
	if err := c.Sleep(context.Background(), -time.Second); err != nil {
		t.Fatal(err)
	}
	c.Advance(time.Minute)
	if got, want := c.Now(), start.Add(time.Minute+2*time.Second); !got.Equal(want) {
		t.Fatalf("now %v, want %v (a negative sleep waits nothing; Advance is not a sleep)", got, want)
	}
	slept := c.Slept()
	if !slices.Equal(slept, []time.Duration{2 * time.Second, -time.Second}) {
		t.Fatalf("slept %v", slept)
	}
	slept[0] = 0
	if c.Slept()[0] != 2*time.Second {
		t.Fatal("Slept returned the clock's own slice")
	}
	c.Set(start)
	if !c.Now().Equal(start) {
		t.Fatalf("after Set: %v", c.Now())
	}
}

func TestFakeClock_CanceledSleepReturnsAndDoesNotAdvance(t *testing.T) {
	t.Parallel()
	c := keaptest.NewFakeClock(start)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := c.Sleep(ctx, time.Hour); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if !c.Now().Equal(start) || len(c.Slept()) != 0 {
		t.Fatalf("a canceled sleep moved the clock to %v or was recorded: %v", c.Now(), c.Slept())
	}
}

func TestFakeClock_ConcurrentSleepsAllCount(t *testing.T) {
	t.Parallel()
	c := keaptest.NewFakeClock(start)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 100 {
				_ = c.Sleep(context.Background(), time.Millisecond)
				_ = c.Now()
			}
		})
	}
	wg.Wait()
	if got := c.Now().Sub(start); got != 800*time.Millisecond || len(c.Slept()) != 800 {
		t.Fatalf("800 sleeps of 1ms: clock moved %v, %d recorded", got, len(c.Slept()))
	}
}

func TestConfig_PointsAtTheSimulator(t *testing.T) {
	t.Parallel()
	sim := keapsim.New(t, keapsim.Options{Contacts: 10, APIKeys: []string{"keaptest-key"}})
	cfg := keaptest.Config(sim)
	if cfg.BaseURL != sim.URL() || cfg.Account != keaptest.Account || cfg.Credential == nil {
		t.Fatalf("config %+v", cfg)
	}
}

// A client and a simulator sharing one FakeClock: the governor's spacing
// is slept on the fake clock, which the simulator's spike arrest reads, so
// a run of calls takes no real time and meets no 429.
func TestNewClient_SharedFakeClockMakesQuotaWaitsInstant(t *testing.T) {
	t.Parallel()
	clock := keaptest.NewFakeClock(start)
	sim := keapsim.New(t, keapsim.Options{Contacts: 30, Now: clock.Now})
	client := keaptest.NewClient(t, sim, func(c *keap.Config) { c.Clock = clock })
	contacts, _ := keap.StreamByName("contacts")
	for range 10 {
		page, err := client.ListPage(context.Background(), contacts, keap.PageRequest{PageSize: 10})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Records) != 10 {
			t.Fatalf("%d records", len(page.Records))
		}
	}
	if st := sim.Stats(); st.Requests != 10 || st.Rejected != 0 {
		t.Fatalf("stats %+v", st)
	}
	// 5 a second plus the default 100ms margin: nine waits of 300ms.
	if got := clock.Now().Sub(start); got != 9*300*time.Millisecond {
		t.Fatalf("ten calls took %v of fake time", got)
	}
}

// The account names the quota: two clients of the default account share
// one budget, a client renamed by mod has its own.
func TestNewClient_AccountIsSimUnlessChanged(t *testing.T) {
	t.Parallel()
	// Two accounts of one tenant do not space their calls together.
	sim := keapsim.New(t, keapsim.Options{Contacts: 10, PerSecond: -1})
	store := keap.NewMemoryQuotaStore(nil)
	oneADay := func(c *keap.Config) { c.Store, c.Quota.PerDay, c.Quota.BackgroundShare = store, 1, 1 }
	model, _ := keap.StreamByName("contact_custom_fields")
	ctx := context.Background()
	if _, err := keaptest.NewClient(t, sim, oneADay).ListPage(ctx, model, keap.PageRequest{}); err != nil {
		t.Fatal(err)
	}
	_, err := keaptest.NewClient(t, sim, oneADay).ListPage(ctx, model, keap.PageRequest{})
	if _, ok := keap.QuotaRetryAt(err); !ok {
		t.Fatalf("second client of account %q: err = %v, want the shared day spent", keaptest.Account, err)
	}
	other := keaptest.NewClient(t, sim, func(c *keap.Config) { oneADay(c); c.Account = "other" })
	if _, err := other.ListPage(ctx, model, keap.PageRequest{}); err != nil {
		t.Fatalf("another account: %v", err)
	}
}

// A fake in its own process serves the API and reports what arrived.
func TestStartFake_ServesAndReportsArrivals(t *testing.T) {
	t.Parallel()
	f := keaptest.StartFake(t, keapsim.Options{Contacts: 30, Seed: 4, PerSecond: -1, APIKeys: []string{"fake-key"}})
	c, err := keap.New(keap.Config{BaseURL: f.URL(), Account: "a", Credential: keap.NewAPIKey(f.APIKey())})
	if err != nil {
		t.Fatal(err)
	}
	contacts, _ := keap.StreamByName("contacts")
	page, err := c.ListPage(context.Background(), contacts, keap.PageRequest{PageSize: 1000})
	if err != nil {
		t.Fatal(err)
	}
	truth, err := f.Records("contacts", contacts.Fields)
	if err != nil || len(truth) != 30 || len(page.Records) != 30 {
		t.Fatalf("%d records listed, %d in the truth (%v)", len(page.Records), len(truth), err)
	}
	st, err := f.Stats()
	if err != nil || st.Accepted != 1 {
		t.Fatalf("stats %+v, %v", st, err)
	}
	arrivals, err := f.Arrivals()
	if err != nil || len(arrivals) != 1 || time.Since(arrivals[0]) > time.Minute {
		t.Fatalf("arrivals %v, %v", arrivals, err)
	}
}
