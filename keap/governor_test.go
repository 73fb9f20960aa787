package keap

import (
	"context"
	"errors"
	"strconv"
	"testing"
	"time"
)

// newTestGovernor returns a governor on a fake clock with exact windows (no
// margins), so expected times are round numbers.
func newTestGovernor(t *testing.T, q QuotaConfig) (*governor, *fakeClock) {
	t.Helper()
	clock := newFakeClock()
	if q.SpacingMargin == 0 {
		q.SpacingMargin = -1
	}
	if q.WindowMargin == 0 {
		q.WindowMargin = -1
	}
	if q.DayResetMargin == 0 {
		q.DayResetMargin = -1
	}
	cfg := Config{Account: "acct", Credential: NewAPIKey("k"), Clock: clock, Quota: q}.withDefaults()
	if err := cfg.validate(); err != nil {
		t.Fatal(err)
	}
	return newGovernor(cfg), clock
}

func wantQuotaError(t *testing.T, err error, window string, retryAt time.Time) {
	t.Helper()
	var qe *QuotaError
	if !errors.As(err, &qe) {
		t.Fatalf("err = %v, want *QuotaError", err)
	}
	if qe.Window != window || !qe.RetryAt.Equal(retryAt) {
		t.Fatalf("QuotaError{%s, %v}, want {%s, %v}", qe.Window, qe.RetryAt, window, retryAt)
	}
	if IsPermanent(err) {
		t.Fatal("a quota error must not be permanent")
	}
	if at, ok := QuotaRetryAt(err); !ok || !at.Equal(retryAt) {
		t.Fatalf("QuotaRetryAt = %v, %v", at, ok)
	}
}

func TestGovernor_SpacesCallsEvenly(t *testing.T) {
	t.Parallel()
	g, clock := newTestGovernor(t, QuotaConfig{PerSecond: 5, PerMinute: 1000})
	start := clock.Now()
	for range 4 {
		if err := reserve(g, context.Background(), false); err != nil {
			t.Fatal(err)
		}
	}
	if got, want := clock.Now().Sub(start), 600*time.Millisecond; got != want {
		t.Fatalf("4 calls took %v of fake time, want %v (200ms apart)", got, want)
	}
	for _, d := range clock.Slept() {
		if d != 200*time.Millisecond {
			t.Fatalf("slept %v, want 200ms each: %v", d, clock.Slept())
		}
	}
}

func TestGovernor_MarginsWidenSpacingAndWindow(t *testing.T) {
	t.Parallel()
	g, _ := newTestGovernor(t, QuotaConfig{PerSecond: 5, PerMinute: 2, SpacingMargin: 20 * time.Millisecond, WindowMargin: time.Second})
	lim := g.limits(false)
	if lim.Interval != 220*time.Millisecond || lim.Window != 61*time.Second || lim.PerWindow != 2 {
		t.Fatalf("limits %+v", lim)
	}
}

func TestGovernor_MinuteWindowWaitsOrRefuses(t *testing.T) {
	t.Parallel()
	g, clock := newTestGovernor(t, QuotaConfig{PerSecond: 5, PerMinute: 3, MaxWait: 10 * time.Second})
	start := clock.Now()
	for range 3 {
		if err := reserve(g, context.Background(), false); err != nil {
			t.Fatal(err)
		}
	}
	// The window frees at start+1m: 59.6s away, beyond MaxWait.
	err := reserve(g, context.Background(), false)
	wantQuotaError(t, err, WindowMinute, start.Add(time.Minute))
	// 55s later the wait is short enough to block.
	clock.Advance(55 * time.Second)
	if err := reserve(g, context.Background(), false); err != nil {
		t.Fatal(err)
	}
	if got := clock.Now(); !got.Equal(start.Add(time.Minute)) {
		t.Fatalf("fourth call at %v, want %v", got, start.Add(time.Minute))
	}
}

func TestGovernor_ContextDeadlineShortensMaxWait(t *testing.T) {
	t.Parallel()
	g, clock := newTestGovernor(t, QuotaConfig{PerSecond: 1, PerMinute: 100, Second: time.Minute, MaxWait: time.Hour})
	// Context deadlines are wall-clock times: start the fake clock at now.
	clock.Set(time.Now())
	if err := reserve(g, context.Background(), false); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithDeadline(context.Background(), clock.Now().Add(30*time.Second))
	defer cancel()
	err := reserve(g, ctx, false)
	wantQuotaError(t, err, WindowSecond, clock.Now().Add(time.Minute))
}

func TestGovernor_DayBudgetKeepsReserveAndResetsAtUTCMidnight(t *testing.T) {
	t.Parallel()
	g, clock := newTestGovernor(t, QuotaConfig{PerSecond: -1, PerMinute: -1, PerDay: 10, Reserve: 3})
	for i := range 7 {
		if err := reserve(g, context.Background(), false); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	midnight := time.Date(2026, 3, 5, 0, 0, 0, 0, time.UTC)
	wantQuotaError(t, reserve(g, context.Background(), false), WindowDay, midnight)
	clock.Advance(midnight.Sub(clock.Now()))
	if err := reserve(g, context.Background(), false); err != nil {
		t.Fatalf("after the reset: %v", err)
	}
}

func TestGovernor_CompressedDays(t *testing.T) {
	t.Parallel()
	g, clock := newTestGovernor(t, QuotaConfig{PerSecond: -1, PerMinute: -1, PerDay: 1, DayLength: time.Hour})
	if err := reserve(g, context.Background(), false); err != nil {
		t.Fatal(err)
	}
	wantQuotaError(t, reserve(g, context.Background(), false), WindowDay, clock.Now().Truncate(time.Hour).Add(time.Hour))
}

func TestGovernor_HeadersTightenButNeverLoosen(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	g, clock := newTestGovernor(t, QuotaConfig{PerSecond: 5, PerMinute: 120, PerDay: 15000, Reserve: 100})
	none := QuotaReading{DayLimit: -1, DayUsed: -1, DayAvailable: -1, WindowLimit: -1, WindowUsed: -1, WindowAvailable: -1, TenantLimit: -1, TenantUsed: -1, TenantAvailable: -1}
	spacing := func() time.Duration {
		t.Helper()
		if err := reserve(g, ctx, false); err != nil {
			t.Fatal(err)
		}
		before := clock.Now()
		if err := reserve(g, ctx, false); err != nil {
			t.Fatal(err)
		}
		return clock.Now().Sub(before)
	}

	looser := none
	looser.At, looser.DayLimit, looser.WindowLimit, looser.SpikeLimit = clock.Now(), 30000, 240, "10ps"
	if err := g.observe(ctx, looser); err != nil {
		t.Fatal(err)
	}
	if d := spacing(); d != 200*time.Millisecond {
		t.Fatalf("after looser headers calls came %v apart, want the configured 200ms", d)
	}

	tighter := none
	tighter.At, tighter.SpikeLimit = clock.Now(), "2ps"
	if err := g.observe(ctx, tighter); err != nil {
		t.Fatal(err)
	}
	if d := spacing(); d != 500*time.Millisecond {
		t.Fatalf("after a 2ps spike limit calls came %v apart, want 500ms", d)
	}
}

func TestGovernor_ReportedAvailabilityExhaustsTheDay(t *testing.T) {
	t.Parallel()
	g, clock := newTestGovernor(t, QuotaConfig{PerSecond: -1, PerMinute: -1, PerDay: 15000})
	reset := clock.Now().Add(5 * time.Hour)
	r := ParseQuotaHeaders(header(
		"X-Keap-Product-Quota-Limit", "15000",
		"X-Keap-Product-Quota-Available", "0",
		"X-Keap-Product-Quota-Expiry-Time", itoa(reset.UnixMilli()),
	), clock.Now())
	if err := g.observe(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	wantQuotaError(t, reserve(g, context.Background(), false), WindowDay, reset)
}

func TestGovernor_ReportedThrottleUsageFillsTheWindow(t *testing.T) {
	t.Parallel()
	g, clock := newTestGovernor(t, QuotaConfig{PerSecond: -1, PerMinute: 120, MaxWait: time.Second})
	now := clock.Now()
	r := ParseQuotaHeaders(header("X-Keap-Product-Throttle-Limit", "120", "X-Keap-Product-Throttle-Used", "120"), now)
	if err := g.observe(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	wantQuotaError(t, reserve(g, context.Background(), false), WindowMinute, now.Add(time.Minute))
}

func TestGovernor_Penalize(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		rle     RateLimitError
		window  string
		retryIn time.Duration
	}{
		{"day 429 spends the day", RateLimitError{Cause: CauseDay}, WindowDay, 14 * time.Hour},
		{"minute 429 fills the window", RateLimitError{Cause: CauseMinute}, WindowMinute, time.Minute},
		{"unknown 429 is treated as minute", RateLimitError{Cause: CauseUnknown}, WindowMinute, time.Minute},
		{"minute 429 honours a longer Retry-After", RateLimitError{Cause: CauseMinute, HasRetryAfter: true, RetryAfter: 90 * time.Second}, WindowMinute, 90 * time.Second},
		{"tenant 429 pauses for Retry-After", RateLimitError{Cause: CauseTenant, HasRetryAfter: true, RetryAfter: 30 * time.Second}, WindowTenant, 30 * time.Second},
		{"spike 429 with Retry-After", RateLimitError{Cause: CauseSpike, HasRetryAfter: true, RetryAfter: 5 * time.Second}, WindowSecond, 5 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			// MaxWait 1s: every penalty above is longer, so reserve
			// reports it instead of waiting.
			g, clock := newTestGovernor(t, QuotaConfig{PerSecond: 5, PerMinute: 120, MaxWait: time.Second})
			now := clock.Now()
			rle := tt.rle
			rle.Quota = QuotaReading{DayUsed: -1, DayLimit: -1, DayAvailable: -1}
			if err := g.penalize(context.Background(), now, &rle); err != nil {
				t.Fatal(err)
			}
			wantQuotaError(t, reserve(g, context.Background(), false), tt.window, now.Add(tt.retryIn))
		})
	}
}

func TestGovernor_SpikePenaltyIsShortAndBlocks(t *testing.T) {
	t.Parallel()
	g, clock := newTestGovernor(t, QuotaConfig{PerSecond: 5, PerMinute: 120})
	now := clock.Now()
	if err := g.penalize(context.Background(), now, &RateLimitError{Cause: CauseSpike}); err != nil {
		t.Fatal(err)
	}
	if err := reserve(g, context.Background(), false); err != nil {
		t.Fatal(err)
	}
	if got := clock.Now().Sub(now); got != 200*time.Millisecond {
		t.Fatalf("waited %v after a spike 429, want one interval", got)
	}
}

func itoa(n int64) string { return formatInt(n) }

func formatInt(n int64) string { return strconv.FormatInt(n, 10) }

func TestGovernor_OwnCallsInKeapsCountAreNotExtraUsage(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	g, clock := newTestGovernor(t, QuotaConfig{PerSecond: 1, PerMinute: 4, MaxWait: 2 * time.Minute})
	start := clock.Now()
	for range 4 {
		if err := reserve(g, ctx, false); err != nil {
			t.Fatal(err)
		}
	}
	// A fifth call is granted into the next window (start+1m); the store
	// has already dropped the first slot, but Keap still counts it.
	sent := clock.Now()
	if err := reserve(g, ctx, false); err != nil {
		t.Fatal(err)
	}
	r := ParseQuotaHeaders(header("X-Keap-Product-Throttle-Limit", "4", "X-Keap-Product-Throttle-Used", "4"), sent.Add(10*time.Millisecond))
	if err := g.observe(ctx, r); err != nil {
		t.Fatal(err)
	}
	// Keap counted only our own calls: the sixth call comes one window
	// after the second, not a window after the report.
	if err := reserve(g, ctx, false); err != nil {
		t.Fatal(err)
	}
	if got, want := clock.Now(), start.Add(time.Minute+time.Second); !got.Equal(want) {
		t.Fatalf("sixth call at %v, want %v", got.Sub(start), want.Sub(start))
	}
	// Usage by someone else (more than our calls) does fill the window:
	// 30s later our window holds 2 calls (at 60s and 61s); Keap reports 4.
	clock.Advance(30 * time.Second)
	now := clock.Now()
	r = ParseQuotaHeaders(header("X-Keap-Product-Throttle-Limit", "4", "X-Keap-Product-Throttle-Available", "0"), now)
	if err := g.observe(ctx, r); err != nil {
		t.Fatal(err)
	}
	if err := reserve(g, ctx, false); err != nil {
		t.Fatal(err)
	}
	// The window frees when our call at 60s expires, at 120s.
	if got, want := clock.Now(), start.Add(2*time.Minute); !got.Equal(want) {
		t.Fatalf("after a full window reported by Keap the next call came at %v, want %v", got.Sub(start), want.Sub(start))
	}
}

func TestGovernor_BackgroundShareLeavesTheEndOfTheDayToForeground(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		q          QuotaConfig
		reportDay  int64 // x-keap-product-quota-limit, 0 for none
		background int   // background calls granted before a refusal
		foreground int   // foreground calls granted after that
	}{
		{"default keeps a tenth of the day", QuotaConfig{PerDay: 20}, 0, 18, 2},
		{"after the reserve", QuotaConfig{PerDay: 20, Reserve: 4, BackgroundShare: 0.625}, 0, 10, 6},
		{"of a lower limit from Keap", QuotaConfig{PerDay: 20, BackgroundShare: 0.5}, 12, 6, 6},
		{"a lower limit from Keap keeps the default tenth", QuotaConfig{PerDay: 15_000}, 20, 18, 2},
		{"disabled", QuotaConfig{PerDay: 20, BackgroundShare: 1}, 0, 20, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.q.PerSecond, tt.q.PerMinute = -1, -1
			g, clock := newTestGovernor(t, tt.q)
			ctx := context.Background()
			if tt.reportDay > 0 {
				r := QuotaReading{At: clock.Now(), DayLimit: tt.reportDay, DayUsed: 0, DayAvailable: tt.reportDay,
					WindowLimit: -1, WindowUsed: -1, WindowAvailable: -1, TenantLimit: -1, TenantUsed: -1, TenantAvailable: -1}
				if err := g.observe(ctx, r); err != nil {
					t.Fatal(err)
				}
			}
			midnight := time.Date(2026, 3, 5, 0, 0, 0, 0, time.UTC)
			for i := range tt.background {
				if err := reserve(g, ctx, true); err != nil {
					t.Fatalf("background call %d: %v", i+1, err)
				}
			}
			wantQuotaError(t, reserve(g, ctx, true), WindowDay, midnight)
			for i := range tt.foreground {
				if err := reserve(g, ctx, false); err != nil {
					t.Fatalf("foreground call %d after the background share: %v", i+1, err)
				}
			}
			wantQuotaError(t, reserve(g, ctx, false), WindowDay, midnight)
			// A new day gives the background its share again.
			clock.Advance(midnight.Sub(clock.Now()))
			if err := reserve(g, ctx, true); err != nil {
				t.Fatalf("background call on the next day: %v", err)
			}
		})
	}
}

// reserve takes a slot through g, reporting only the error.
func reserve(g *governor, ctx context.Context, background bool) error {
	_, _, err := g.reserve(ctx, background)
	return err
}
