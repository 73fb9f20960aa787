package keap

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// Headers no Keap account could mean are not obeyed: each is logged once,
// with its value, and calls go on within what is plausible.
func TestClient_AbsurdQuotaHeadersAreLoggedOnceAndNotObeyed(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tests := []struct {
		name    string
		headers map[string]string
		quota   QuotaConfig
		// calls and the fake time they may take in all.
		calls  int
		within time.Duration
		logged string
	}{
		{"a reset in the year 2286 with nothing available",
			map[string]string{headerQuotaExpiry: "9999999999999", headerQuotaAvailable: "0", headerQuotaLimit: "15000"},
			QuotaConfig{}, 3, time.Second, "value=9999999999999"},
		{"a spike limit of one a minute",
			map[string]string{headerSpikeLimit: "1pm"},
			QuotaConfig{}, 3, time.Second, "value=1pm"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env := newFakeEnv(t, func(w http.ResponseWriter, _ *http.Request) {
				for k, v := range tt.headers {
					w.Header().Set(k, v)
				}
				okPage(w)
			}, func(c *Config) { c.Quota = tt.quota })
			start := env.clock.Now()
			for i := range tt.calls {
				if _, err := env.client.ListPage(ctx, testStream, PageRequest{}); err != nil {
					t.Fatalf("call %d: %v", i+1, err)
				}
			}
			if d := env.clock.Now().Sub(start); d > tt.within {
				t.Fatalf("%d calls took %v of fake time, want at most %v", tt.calls, d, tt.within)
			}
			logs := env.logs.String()
			if n := strings.Count(logs, "implausible quota header ignored"); n != 1 || !strings.Contains(logs, tt.logged) {
				t.Fatalf("want the header logged once with %s, got %d times:\n%s", tt.logged, n, logs)
			}
		})
	}
}

// A reading whose reset has passed was in flight across Keap's reset: it
// says nothing of today, so its "nothing available" does not stop calls.
func TestClient_AReadingOfADayThatIsOverDoesNotSpendToday(t *testing.T) {
	t.Parallel()
	var served atomic.Int64
	var env *fakeEnv
	env = newFakeEnv(t, func(w http.ResponseWriter, _ *http.Request) {
		if served.Add(1) == 1 {
			past := env.clock.Now().Add(-time.Second)
			w.Header().Set(headerQuotaExpiry, formatInt(past.UnixMilli()))
			w.Header().Set(headerQuotaAvailable, "0")
		}
		okPage(w)
	}, nil)
	for i := range 3 {
		if _, err := env.client.ListPage(context.Background(), testStream, PageRequest{}); err != nil {
			t.Fatalf("call %d: %v", i+1, err)
		}
	}
}

// A reported day limit below the configured reserve spends the day, and
// only that day: after the reset the next call goes, and its answer is
// believed afresh.
func TestClient_AReportedLimitHoldsOnlyForItsDay(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	var hostile atomic.Bool
	hostile.Store(true)
	env := newFakeEnv(t, func(w http.ResponseWriter, _ *http.Request) {
		if hostile.Load() {
			w.Header().Set(headerQuotaLimit, "1")
		}
		okPage(w)
	}, func(c *Config) { c.Quota.Reserve = 100 })
	if _, err := env.client.ListPage(ctx, testStream, PageRequest{}); err != nil {
		t.Fatal(err)
	}
	_, err := env.client.ListPage(ctx, testStream, PageRequest{})
	at, ok := QuotaRetryAt(err)
	midnight := time.Date(2026, 3, 5, 0, 0, 0, 0, time.UTC)
	if want := midnight.Add(env.client.QuotaConfig().DayResetMargin); !ok || !at.Equal(want) {
		t.Fatalf("err = %v, want the day spent until %v", err, want)
	}
	hostile.Store(false)
	env.clock.Advance(at.Sub(env.clock.Now()))
	for i := range 3 {
		if _, err := env.client.ListPage(ctx, testStream, PageRequest{}); err != nil {
			t.Fatalf("call %d of the next day: %v", i+1, err)
		}
	}
}

// A minute 429 whose Retry-After is a week is absurd: the pause is the
// minute window's, not the week.
func TestClient_AnAbsurdRetryAfterIsNotObeyed(t *testing.T) {
	t.Parallel()
	var served atomic.Int64
	env := newFakeEnv(t, func(w http.ResponseWriter, _ *http.Request) {
		if served.Add(1) == 1 {
			w.Header().Set(headerThrottleAvailable, "0")
			w.Header().Set(headerRetryAfter, "604800")
			w.WriteHeader(http.StatusTooManyRequests)
			_, _ = w.Write([]byte(`{"code":"429","message":"Quota Exceeded","status":"Request Throttled","details":null}`))
			return
		}
		okPage(w)
	}, nil)
	start := env.clock.Now()
	if _, err := env.client.ListPage(context.Background(), testStream, PageRequest{}); err != nil {
		t.Fatal(err)
	}
	if d := env.clock.Now().Sub(start); d > 2*time.Minute {
		t.Fatalf("the call after the 429 came %v later", d)
	}
	if !strings.Contains(env.logs.String(), "header=Retry-After") {
		t.Fatalf("the absurd Retry-After was not logged:\n%s", env.logs.String())
	}
}
