package keap

import (
	"context"
	"sync"
	"testing"
	"time"
)

var t0 = time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC)

func testLimits() QuotaLimits {
	return QuotaLimits{
		Interval:   200 * time.Millisecond,
		PerWindow:  3,
		Window:     time.Minute,
		PerDay:     5,
		DayResetAt: time.Date(2026, 3, 5, 0, 0, 0, 0, time.UTC),
	}
}

func ms(n int) time.Duration { return time.Duration(n) * time.Millisecond }

// reserveStep is one Reserve call of a scripted test and the grant it
// must get.
type reserveStep struct {
	at      time.Duration // now, relative to t0
	maxWait time.Duration
	want    QuotaGrant // At relative times written as t0.Add
}

// checkReserves makes the steps' Reserve calls on s for account under lim,
// in order, and fails at the first grant other than the one wanted.
func checkReserves(t *testing.T, s QuotaStore, account string, lim QuotaLimits, steps []reserveStep) {
	t.Helper()
	for i, st := range steps {
		got, err := s.Reserve(context.Background(), account, t0.Add(st.at), st.maxWait, lim)
		if err != nil {
			t.Fatal(err)
		}
		if got.OK != st.want.OK || !got.At.Equal(st.want.At) || got.Window != st.want.Window {
			t.Fatalf("step %d: got %+v, want %+v", i, got, st.want)
		}
	}
}

func TestMemoryQuotaStore_Reserve(t *testing.T) {
	t.Parallel()
	lim := testLimits()
	tests := []struct {
		name  string
		lim   QuotaLimits
		steps []reserveStep
	}{
		{
			name: "spacing: a second call waits one interval",
			lim:  lim,
			steps: []reserveStep{
				{0, time.Second, QuotaGrant{OK: true, At: t0}},
				{ms(50), time.Second, QuotaGrant{OK: true, At: t0.Add(ms(200))}},
				{ms(50), time.Second, QuotaGrant{OK: true, At: t0.Add(ms(400))}},
			},
		},
		{
			name: "spacing beyond maxWait refuses as second and takes nothing",
			lim:  lim,
			steps: []reserveStep{
				{0, 0, QuotaGrant{OK: true, At: t0}},
				{ms(50), ms(100), QuotaGrant{At: t0.Add(ms(200)), Window: WindowSecond}},
				{ms(200), 0, QuotaGrant{OK: true, At: t0.Add(ms(200))}},
			},
		},
		{
			name: "rolling window: the fourth call waits until the first expires",
			lim:  lim,
			steps: []reserveStep{
				{0, 0, QuotaGrant{OK: true, At: t0}},
				{time.Second, 0, QuotaGrant{OK: true, At: t0.Add(time.Second)}},
				{2 * time.Second, 0, QuotaGrant{OK: true, At: t0.Add(2 * time.Second)}},
				{3 * time.Second, time.Second, QuotaGrant{At: t0.Add(time.Minute), Window: WindowMinute}},
				{3 * time.Second, time.Minute, QuotaGrant{OK: true, At: t0.Add(time.Minute)}},
				{time.Minute + ms(10), 2 * time.Second, QuotaGrant{OK: true, At: t0.Add(time.Minute + time.Second)}},
			},
		},
		{
			name: "day budget: refused until the reset, then a new day",
			lim:  QuotaLimits{PerDay: 2, DayResetAt: t0.Add(time.Hour)},
			steps: []reserveStep{
				{0, 0, QuotaGrant{OK: true, At: t0}},
				{ms(1), 0, QuotaGrant{OK: true, At: t0.Add(ms(1))}},
				{ms(2), time.Hour, QuotaGrant{At: t0.Add(time.Hour), Window: WindowDay}},
				{time.Hour, 0, QuotaGrant{OK: true, At: t0.Add(time.Hour)}},
			},
		},
		{
			name: "zero day budget refuses the first call",
			lim:  QuotaLimits{PerDay: 0, DayResetAt: t0.Add(time.Hour)},
			steps: []reserveStep{
				{0, time.Hour, QuotaGrant{At: t0.Add(time.Hour), Window: WindowDay}},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := NewMemoryQuotaStore()
			checkReserves(t, s, "acct", tt.lim, tt.steps)
		})
	}
}

func TestMemoryQuotaStore_ObserveOnlyRaisesCounts(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	lim := testLimits()
	lim.PerDay = 10
	s := NewMemoryQuotaStore()
	if _, err := s.Reserve(ctx, "a", t0, 0, lim); err != nil {
		t.Fatal(err)
	}
	// Keap reports less than we counted: nothing changes.
	if err := s.Observe(ctx, "a", t0, QuotaObservation{DayUsed: 0, WindowUsed: 0, Window: time.Minute}); err != nil {
		t.Fatal(err)
	}
	// Keap reports the window full (another integration): 2 phantom
	// entries at now, so the next call waits a whole window.
	now := t0.Add(time.Second)
	if err := s.Observe(ctx, "a", now, QuotaObservation{DayUsed: -1, WindowUsed: 3, Window: time.Minute}); err != nil {
		t.Fatal(err)
	}
	g, _ := s.Reserve(ctx, "a", now, time.Hour, lim)
	if !g.OK || !g.At.Equal(t0.Add(time.Minute)) {
		t.Fatalf("after a full-window report: %+v, want a slot at t0+1m", g)
	}
	// Keap reports 9 used today: one call left (the 10th), then refused.
	if err := s.Observe(ctx, "a", now, QuotaObservation{DayUsed: 9, WindowUsed: -1}); err != nil {
		t.Fatal(err)
	}
	if g, _ = s.Reserve(ctx, "a", t0.Add(2*time.Minute), 0, lim); !g.OK {
		t.Fatalf("the 10th call was refused: %+v", g)
	}
	g, _ = s.Reserve(ctx, "a", t0.Add(3*time.Minute), 0, lim)
	if g.OK || g.Window != WindowDay || !g.At.Equal(lim.DayResetAt) {
		t.Fatalf("after 9+1 used of 10: %+v, want refused until the reset", g)
	}
}

func TestMemoryQuotaStore_ObserveDayReset(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := NewMemoryQuotaStore()
	lim := QuotaLimits{PerDay: 1, DayResetAt: t0.Add(time.Hour)}
	if g, _ := s.Reserve(ctx, "a", t0, 0, lim); !g.OK {
		t.Fatal("first call refused")
	}
	// Keap says the day ends earlier than we thought: trust Keap, keep count.
	early := t0.Add(10 * time.Minute)
	if err := s.Observe(ctx, "a", t0, QuotaObservation{DayUsed: -1, DayResetAt: early, WindowUsed: -1}); err != nil {
		t.Fatal(err)
	}
	if g, _ := s.Reserve(ctx, "a", t0.Add(time.Minute), time.Hour, lim); g.OK || !g.At.Equal(early) {
		t.Fatalf("got %+v, want refused until Keap's reset %v", g, early)
	}
	// After Keap's reset, an observation starts the new day.
	next := early.Add(24 * time.Hour)
	if err := s.Observe(ctx, "a", early, QuotaObservation{DayUsed: -1, DayResetAt: next, WindowUsed: -1}); err != nil {
		t.Fatal(err)
	}
	if g, _ := s.Reserve(ctx, "a", early, 0, lim); !g.OK {
		t.Fatalf("new day refused: %+v", g)
	}
}

func TestMemoryQuotaStore_AccountsAreSeparate(t *testing.T) {
	t.Parallel()
	s := NewMemoryQuotaStore()
	lim := QuotaLimits{PerDay: 1, DayResetAt: t0.Add(time.Hour)}
	for _, acct := range []string{"a", "b"} {
		if g, _ := s.Reserve(context.Background(), acct, t0, 0, lim); !g.OK {
			t.Fatalf("account %s refused", acct)
		}
	}
}

func TestMemoryQuotaStore_ConcurrentReservesNeverOverlap(t *testing.T) {
	t.Parallel()
	s := NewMemoryQuotaStore()
	lim := QuotaLimits{Interval: ms(10), PerWindow: 50, Window: time.Second, PerDay: 1000, DayResetAt: t0.Add(time.Hour)}
	var mu sync.Mutex
	var slots []time.Time
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 25 {
				g, err := s.Reserve(context.Background(), "a", t0, time.Hour, lim)
				if err != nil || !g.OK {
					t.Errorf("reserve: %+v %v", g, err)
					return
				}
				mu.Lock()
				slots = append(slots, g.At)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(slots) != 200 {
		t.Fatalf("%d slots", len(slots))
	}
	seen := map[time.Time]bool{}
	for _, at := range slots {
		if seen[at] {
			t.Fatalf("slot %v granted twice", at)
		}
		seen[at] = true
		// At most PerWindow slots in any window ending at a slot.
		n := 0
		for _, o := range slots {
			if o.After(at.Add(-lim.Window)) && !o.After(at) {
				n++
			}
		}
		if n > int(lim.PerWindow) {
			t.Fatalf("%d slots in the window ending %v", n, at)
		}
	}
}

func TestMemoryQuotaStore_CanceledContext(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	s := NewMemoryQuotaStore()
	if _, err := s.Reserve(ctx, "a", t0, 0, testLimits()); err == nil {
		t.Fatal("Reserve with a canceled context succeeded")
	}
}

func TestMemoryQuotaStore_ReportedLimitsTightenTheCallersLimits(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	reset := t0.Add(time.Hour)
	lim := QuotaLimits{Interval: ms(100), PerWindow: 10, Window: time.Minute, PerDay: 100, DayResetAt: reset}
	noLimits := QuotaObservation{DayLimit: -1, DayUsed: -1, WindowLimit: -1, WindowUsed: -1}
	report := func(mod func(*QuotaObservation)) QuotaObservation {
		o := noLimits
		mod(&o)
		return o
	}
	withReserve := lim
	withReserve.DayReserve = 1
	noWindow := lim
	noWindow.PerWindow = 0
	noSpacing := lim
	noSpacing.Interval = 0
	tighter := lim
	tighter.PerDay = 1

	tests := []struct {
		name  string
		obs   QuotaObservation
		lim   QuotaLimits
		steps []reserveStep
	}{
		{"a lower reported day limit applies", report(func(o *QuotaObservation) { o.DayLimit = 2 }), lim, []reserveStep{
			{0, 0, QuotaGrant{OK: true, At: t0}},
			{time.Second, 0, QuotaGrant{OK: true, At: t0.Add(time.Second)}},
			{2 * time.Second, time.Hour, QuotaGrant{At: reset, Window: WindowDay}},
		}},
		{"the day reserve comes off the reported day limit", report(func(o *QuotaObservation) { o.DayLimit = 2 }), withReserve, []reserveStep{
			{0, 0, QuotaGrant{OK: true, At: t0}},
			{time.Second, time.Hour, QuotaGrant{At: reset, Window: WindowDay}},
		}},
		{"a higher reported day limit does not loosen the caller's", report(func(o *QuotaObservation) { o.DayLimit = 1000 }), tighter, []reserveStep{
			{0, 0, QuotaGrant{OK: true, At: t0}},
			{time.Second, time.Hour, QuotaGrant{At: reset, Window: WindowDay}},
		}},
		{"a lower reported window limit applies", report(func(o *QuotaObservation) { o.WindowLimit = 1 }), lim, []reserveStep{
			{0, 0, QuotaGrant{OK: true, At: t0}},
			{time.Second, time.Second, QuotaGrant{At: t0.Add(time.Minute), Window: WindowMinute}},
		}},
		{"a disabled window stays disabled", report(func(o *QuotaObservation) { o.WindowLimit = 1 }), noWindow, []reserveStep{
			{0, 0, QuotaGrant{OK: true, At: t0}},
			{time.Second, 0, QuotaGrant{OK: true, At: t0.Add(time.Second)}},
		}},
		{"a wider reported spacing applies", report(func(o *QuotaObservation) { o.Interval = ms(500) }), lim, []reserveStep{
			{0, 0, QuotaGrant{OK: true, At: t0}},
			{0, time.Second, QuotaGrant{OK: true, At: t0.Add(ms(500))}},
		}},
		{"disabled spacing stays disabled", report(func(o *QuotaObservation) { o.Interval = ms(500) }), noSpacing, []reserveStep{
			{0, 0, QuotaGrant{OK: true, At: t0}},
			{ms(10), 0, QuotaGrant{OK: true, At: t0.Add(ms(10))}},
		}},
		{"limits not reported change nothing", report(func(o *QuotaObservation) { o.DayLimit, o.WindowLimit = 0, 0 }), lim, []reserveStep{
			{0, 0, QuotaGrant{OK: true, At: t0}},
			{0, ms(100), QuotaGrant{OK: true, At: t0.Add(ms(100))}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := NewMemoryQuotaStore()
			if err := s.Observe(ctx, "a", t0, tt.obs); err != nil {
				t.Fatal(err)
			}
			checkReserves(t, s, "a", tt.lim, tt.steps)
		})
	}
}

func TestMemoryQuotaStore_LaterReportsReplaceLimits(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := NewMemoryQuotaStore()
	lim := QuotaLimits{PerDay: 100, DayResetAt: t0.Add(time.Hour)}
	// Keap lowers the day to 1, then raises it to 3 (a plan change).
	for _, limit := range []int64{1, 3} {
		if err := s.Observe(ctx, "a", t0, QuotaObservation{DayLimit: limit, DayUsed: -1, WindowLimit: -1, WindowUsed: -1}); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 3 {
		if g, _ := s.Reserve(ctx, "a", t0.Add(ms(i)), 0, lim); !g.OK {
			t.Fatalf("call %d refused under the raised limit: %+v", i, g)
		}
	}
	if g, _ := s.Reserve(ctx, "a", t0.Add(ms(3)), time.Hour, lim); g.OK || g.Window != WindowDay {
		t.Fatalf("fourth call: %+v, want refused by the reported limit of 3", g)
	}
}
