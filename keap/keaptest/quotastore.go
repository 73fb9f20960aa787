package keaptest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/keapsync/keapsync/keap"
)

// NewQuotaStoreFunc makes an empty keap.QuotaStore whose clock is clock
// (and which hands grants back on it), for QuotaStoreSuite.
type NewQuotaStoreFunc func(t *testing.T, clock *FakeClock) keap.QuotaStore

// suiteStart is when each of the suite's fake clocks starts: 10:00 UTC, so
// that hour-long days (DayLength) reset at 11:00.
var suiteStart = time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC)

func at(d time.Duration) time.Time { return suiteStart.Add(d) }

func ms(n int) time.Duration { return time.Duration(n) * time.Millisecond }

// step is one call of a scripted suite test: the clock is set to at, then
// Reserve (or, with observe set, Observe at the clock's time) is called.
type step struct {
	at      time.Duration // the clock, from suiteStart
	maxWait time.Duration
	lim     keap.QuotaLimits
	want    keap.QuotaGrant // At absolute; OK, At and Window are compared

	observe *keap.QuotaObservation
}

func reserve(at, maxWait time.Duration, lim keap.QuotaLimits, want keap.QuotaGrant) step {
	return step{at: at, maxWait: maxWait, lim: lim, want: want}
}

func observe(at time.Duration, o keap.QuotaObservation) step {
	return step{at: at, observe: &o}
}

func granted(t time.Time) keap.QuotaGrant { return keap.QuotaGrant{OK: true, At: t} }

func refused(t time.Time, window string) keap.QuotaGrant {
	return keap.QuotaGrant{At: t, Window: window}
}

// noReport is an observation in which Keap reported nothing.
var noReport = keap.QuotaObservation{DayLimit: -1, DayUsed: -1, WindowLimit: -1, WindowUsed: -1}

func report(mod func(*keap.QuotaObservation)) keap.QuotaObservation {
	o := noReport
	mod(&o)
	return o
}

func runSteps(t *testing.T, s keap.QuotaStore, clock *FakeClock, account string, steps []step) {
	t.Helper()
	ctx := context.Background()
	for i, st := range steps {
		clock.Set(at(st.at))
		if st.observe != nil {
			if err := s.Observe(ctx, account, clock.Now(), *st.observe); err != nil {
				t.Fatalf("step %d: observe: %v", i, err)
			}
			continue
		}
		got, err := s.Reserve(ctx, account, st.maxWait, st.lim)
		if err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		if got.OK != st.want.OK || !got.At.Equal(st.want.At) || got.Window != st.want.Window {
			t.Fatalf("step %d: Reserve at +%s (wait %s) = {OK:%v At:+%s Window:%q}, want {OK:%v At:+%s Window:%q}",
				i, st.at, st.maxWait, got.OK, got.At.Sub(suiteStart), got.Window, st.want.OK, st.want.At.Sub(suiteStart), st.want.Window)
		}
	}
}

// QuotaStoreSuite runs the semantics documented on keap.QuotaStore against
// the stores newStore makes: every implementation runs it (the in-memory
// store in package keap's tests, the Postgres ledger in package jobs'), as
// River's driver test suite runs every driver. Each subtest gets a store of
// its own on a fake clock of its own, which the suite moves.
func QuotaStoreSuite(t *testing.T, newStore NewQuotaStoreFunc) {
	// The limits most steps use: 5 a second (200ms apart), 3 per rolling
	// second, 5 a day, hour-long days (the first resets at 11:00).
	lim := keap.QuotaLimits{Interval: ms(200), PerWindow: 3, Window: time.Second, PerDay: 5, DayLength: time.Hour}
	with := func(mod func(*keap.QuotaLimits)) keap.QuotaLimits {
		l := lim
		mod(&l)
		return l
	}
	reset := at(time.Hour)
	next := at(2 * time.Hour)
	const day, minute, second = keap.WindowDay, keap.WindowMinute, keap.WindowSecond

	// Loose limits, for the tests of what Keap reports.
	loose := keap.QuotaLimits{Interval: ms(100), PerWindow: 10, Window: time.Minute, PerDay: 100, DayLength: time.Hour}
	looseWith := func(mod func(*keap.QuotaLimits)) keap.QuotaLimits {
		l := loose
		mod(&l)
		return l
	}

	tests := []struct {
		name  string
		steps []step
	}{
		// Reserve, step by step.
		{"spacing grants now, then one interval after the last slot", []step{
			reserve(0, time.Second, lim, granted(at(0))),
			reserve(0, time.Second, lim, granted(at(ms(200)))),
			reserve(ms(500), time.Second, lim, granted(at(ms(500)))),
		}},
		{"a slot beyond the wait refuses as second and takes nothing", []step{
			reserve(0, 0, lim, granted(at(0))),
			reserve(ms(50), ms(100), lim, refused(at(ms(200)), second)),
			reserve(ms(50), ms(150), lim, granted(at(ms(200)))),
		}},
		{"zero interval spaces by the last slot only", []step{
			reserve(ms(50), 0, with(func(l *keap.QuotaLimits) { l.Interval = 0 }), granted(at(ms(50)))),
			reserve(ms(10), time.Second, with(func(l *keap.QuotaLimits) { l.Interval = 0 }), granted(at(ms(50)))),
		}},
		{"the rolling window moves to the expiry of the oldest counted slot", []step{
			reserve(0, time.Second, lim, granted(at(0))),
			reserve(0, time.Second, lim, granted(at(ms(200)))),
			reserve(0, time.Second, lim, granted(at(ms(400)))),
			reserve(0, ms(500), lim, refused(at(time.Second), minute)),
			reserve(0, time.Second, lim, granted(at(time.Second))),
			reserve(0, 2*time.Second, lim, granted(at(ms(1200)))),
		}},
		{"the day refuses until its reset, then a new day starts", []step{
			reserve(0, 0, lim, granted(at(0))),
			reserve(time.Second, 0, lim, granted(at(time.Second))),
			reserve(2*time.Second, 0, lim, granted(at(2*time.Second))),
			reserve(3*time.Second, 0, lim, granted(at(3*time.Second))),
			reserve(4*time.Second, 0, lim, granted(at(4*time.Second))),
			reserve(5*time.Second, 2*time.Hour, lim, refused(reset, day)),
			reserve(time.Hour, 0, lim, granted(reset)),
		}},
		{"calendar days reset at 00:00 UTC", []step{
			reserve(0, 0, with(func(l *keap.QuotaLimits) { l.PerDay, l.DayLength = 1, 0 }), granted(at(0))),
			reserve(time.Second, 24*time.Hour, with(func(l *keap.QuotaLimits) { l.PerDay, l.DayLength = 1, 0 }),
				refused(time.Date(2026, 3, 5, 0, 0, 0, 0, time.UTC), day)),
		}},
		{"a zero day refuses the first call", []step{
			reserve(0, 2*time.Hour, with(func(l *keap.QuotaLimits) { l.PerDay = 0 }), refused(reset, day)),
		}},
		{"the day rolls over only its margin after the reset", []step{
			reserve(0, 0, with(func(l *keap.QuotaLimits) { l.PerDay, l.DayResetMargin = 1, 2*time.Second }), granted(at(0))),
			reserve(time.Second, 2*time.Hour, with(func(l *keap.QuotaLimits) { l.PerDay, l.DayResetMargin = 1, 2*time.Second }),
				refused(reset.Add(2*time.Second), day)),
			reserve(time.Hour+time.Second, 0, with(func(l *keap.QuotaLimits) { l.PerDay, l.DayResetMargin = 1, 2*time.Second }),
				refused(reset.Add(2*time.Second), day)),
			reserve(time.Hour+2*time.Second, 0, with(func(l *keap.QuotaLimits) { l.PerDay, l.DayResetMargin = 1, 2*time.Second }),
				granted(reset.Add(2*time.Second))),
			reserve(time.Hour+3*time.Second, 2*time.Hour, with(func(l *keap.QuotaLimits) { l.PerDay, l.DayResetMargin = 1, 2*time.Second }),
				refused(next.Add(2*time.Second), day)),
		}},
		{"no slot is granted within the margin before the reset", []step{
			reserve(time.Hour-3*time.Second, 0, with(func(l *keap.QuotaLimits) { l.DayResetMargin = 2 * time.Second }), granted(reset.Add(-3*time.Second))),
			// 10:59:59: a call could reach Keap after 11:00.
			reserve(time.Hour-time.Second, 0, with(func(l *keap.QuotaLimits) { l.DayResetMargin = 2 * time.Second }),
				refused(reset.Add(2*time.Second), day)),
			reserve(time.Hour+2*time.Second, 0, with(func(l *keap.QuotaLimits) { l.DayResetMargin = 2 * time.Second }),
				granted(reset.Add(2*time.Second))),
		}},
		{"a slot the window pushes past the reset waits for the new day", []step{
			reserve(time.Hour-ms(800), time.Second, lim, granted(reset.Add(-ms(800)))),
			reserve(time.Hour-ms(800), time.Second, lim, granted(reset.Add(-ms(600)))),
			reserve(time.Hour-ms(800), time.Second, lim, granted(reset.Add(-ms(400)))),
			// The window would move the fourth to 11:00:00.200, in the next
			// day: refused until the reset, taking nothing.
			reserve(time.Hour-ms(800), 3*time.Second, lim, refused(reset, day)),
			reserve(time.Hour, time.Second, lim, granted(reset.Add(ms(200)))),
		}},
		{"background calls get their share of the day", []step{
			reserve(0, 0, with(func(l *keap.QuotaLimits) { l.PerDay, l.DayShare = 10, 300 }), granted(at(0))),
			reserve(time.Second, 0, with(func(l *keap.QuotaLimits) { l.PerDay, l.DayShare = 10, 300 }), granted(at(time.Second))),
			reserve(2*time.Second, 0, with(func(l *keap.QuotaLimits) { l.PerDay, l.DayShare = 10, 300 }), granted(at(2*time.Second))),
			reserve(3*time.Second, 2*time.Hour, with(func(l *keap.QuotaLimits) { l.PerDay, l.DayShare = 10, 300 }), refused(reset, day)),
			reserve(3*time.Second, 0, with(func(l *keap.QuotaLimits) { l.PerDay = 10 }), granted(at(3*time.Second))),
		}},

		// Observe: reported usage only raises the counts.
		{"day used raises the count", []step{
			observe(0, report(func(o *keap.QuotaObservation) { o.DayUsed, o.DayResetAt = 4, reset })),
			reserve(0, 0, lim, granted(at(0))),
			reserve(time.Second, 2*time.Hour, lim, refused(reset, day)),
		}},
		{"a lower day used never lowers it", []step{
			reserve(0, 0, lim, granted(at(0))),
			reserve(time.Second, 0, lim, granted(at(time.Second))),
			observe(time.Second, report(func(o *keap.QuotaObservation) { o.DayUsed, o.DayResetAt = 4, reset })),
			observe(time.Second, report(func(o *keap.QuotaObservation) { o.DayUsed, o.DayResetAt = 1, reset })),
			reserve(2*time.Second, 0, lim, granted(at(2*time.Second))),
			reserve(3*time.Second, 0, lim, refused(reset, day)),
		}},
		{"a different reported reset is trusted and the count kept", []step{
			reserve(0, 0, lim, granted(at(0))),
			observe(0, report(func(o *keap.QuotaObservation) { o.DayUsed, o.DayResetAt = 5, reset })),
			observe(0, report(func(o *keap.QuotaObservation) { o.DayResetAt = next })),
			reserve(90*time.Minute, 0, lim, refused(next, day)),
		}},
		{"a reading after the stored reset starts the new day", []step{
			reserve(0, 0, with(func(l *keap.QuotaLimits) { l.PerDay = 1 }), granted(at(0))),
			observe(time.Hour, report(func(o *keap.QuotaObservation) { o.DayUsed, o.DayResetAt = 0, next })),
			reserve(time.Hour, 0, with(func(l *keap.QuotaLimits) { l.PerDay = 1 }), granted(reset)),
			reserve(90*time.Minute, 2*time.Hour, with(func(l *keap.QuotaLimits) { l.PerDay = 1 }), refused(next, day)),
		}},
		{"a reading of a day that is over changes nothing of today", []step{
			reserve(time.Hour, 0, with(func(l *keap.QuotaLimits) { l.PerDay = 3 }), granted(reset)),
			// In flight across the reset: yesterday's count and limit.
			observe(time.Hour+time.Second, report(func(o *keap.QuotaObservation) { o.DayUsed, o.DayLimit, o.DayResetAt = 2, 1, reset })),
			reserve(time.Hour+2*time.Second, 0, with(func(l *keap.QuotaLimits) { l.PerDay = 3 }), granted(reset.Add(2*time.Second))),
			reserve(time.Hour+3*time.Second, 0, with(func(l *keap.QuotaLimits) { l.PerDay = 3 }), granted(reset.Add(3*time.Second))),
			reserve(time.Hour+4*time.Second, 2*time.Hour, with(func(l *keap.QuotaLimits) { l.PerDay = 3 }), refused(next, day)),
		}},
		{"calls granted after the answer are added to Keap's count", []step{
			reserve(0, time.Second, lim, granted(at(0))),
			reserve(0, time.Second, lim, granted(at(ms(200)))),
			reserve(0, time.Second, lim, granted(at(ms(400)))),
			// The first call's answer: 3 used (another integration's 2 and
			// it); the two granted after it have not left yet.
			observe(ms(10), report(func(o *keap.QuotaObservation) { o.DayUsed, o.DayResetAt = 3, reset })),
			reserve(ms(500), 2*time.Hour, lim, refused(reset, day)),
		}},
		{"window used fills the rolling window", []step{
			observe(0, report(func(o *keap.QuotaObservation) { o.WindowUsed, o.Window = 3, time.Second })),
			reserve(0, 2*time.Second, lim, granted(at(time.Second))),
		}},
		{"window used already counted adds nothing", []step{
			reserve(0, 0, lim, granted(at(0))),
			observe(0, report(func(o *keap.QuotaObservation) { o.WindowUsed, o.Window = 1, time.Second })),
			reserve(0, time.Second, lim, granted(at(ms(200)))),
			reserve(0, time.Second, lim, granted(at(ms(400)))),
		}},
		{"absent headers change nothing", []step{
			observe(0, report(func(o *keap.QuotaObservation) { o.Window = time.Second })),
			reserve(0, 0, lim, granted(at(0))),
		}},

		// What Keap reported tightens the caller's limits, for its day.
		{"a lower reported day limit applies", []step{
			observe(0, report(func(o *keap.QuotaObservation) { o.DayLimit = 2 })),
			reserve(0, 0, loose, granted(at(0))),
			reserve(time.Second, 0, loose, granted(at(time.Second))),
			reserve(2*time.Second, 2*time.Hour, loose, refused(reset, day)),
		}},
		{"the day reserve comes off the reported day limit", []step{
			observe(0, report(func(o *keap.QuotaObservation) { o.DayLimit = 2 })),
			reserve(0, 0, looseWith(func(l *keap.QuotaLimits) { l.DayReserve = 1 }), granted(at(0))),
			reserve(time.Second, 2*time.Hour, looseWith(func(l *keap.QuotaLimits) { l.DayReserve = 1 }), refused(reset, day)),
		}},
		{"a higher reported day limit does not loosen the caller's", []step{
			observe(0, report(func(o *keap.QuotaObservation) { o.DayLimit = 1000 })),
			reserve(0, 0, looseWith(func(l *keap.QuotaLimits) { l.PerDay = 1 }), granted(at(0))),
			reserve(time.Second, 2*time.Hour, looseWith(func(l *keap.QuotaLimits) { l.PerDay = 1 }), refused(reset, day)),
		}},
		{"a lower reported window limit applies", []step{
			observe(0, report(func(o *keap.QuotaObservation) { o.WindowLimit = 1 })),
			reserve(0, 0, loose, granted(at(0))),
			reserve(time.Second, time.Second, loose, refused(at(time.Minute), minute)),
		}},
		{"a disabled window stays disabled", []step{
			observe(0, report(func(o *keap.QuotaObservation) { o.WindowLimit = 1 })),
			reserve(0, 0, looseWith(func(l *keap.QuotaLimits) { l.PerWindow = 0 }), granted(at(0))),
			reserve(time.Second, 0, looseWith(func(l *keap.QuotaLimits) { l.PerWindow = 0 }), granted(at(time.Second))),
		}},
		{"a wider reported spacing applies", []step{
			observe(0, report(func(o *keap.QuotaObservation) { o.Interval = ms(500) })),
			reserve(0, 0, loose, granted(at(0))),
			reserve(0, time.Second, loose, granted(at(ms(500)))),
		}},
		{"disabled spacing stays disabled", []step{
			observe(0, report(func(o *keap.QuotaObservation) { o.Interval = ms(500) })),
			reserve(0, 0, looseWith(func(l *keap.QuotaLimits) { l.Interval = 0 }), granted(at(0))),
			reserve(ms(10), 0, looseWith(func(l *keap.QuotaLimits) { l.Interval = 0 }), granted(at(ms(10)))),
		}},
		{"limits not reported change nothing", []step{
			observe(0, report(func(o *keap.QuotaObservation) { o.DayLimit, o.WindowLimit = 0, 0 })),
			reserve(0, 0, loose, granted(at(0))),
			reserve(0, ms(100), loose, granted(at(ms(100)))),
		}},
		{"later reports replace the limits", []step{
			// Keap lowers the day to 1, then raises it to 3 (a plan change).
			observe(0, report(func(o *keap.QuotaObservation) { o.DayLimit = 1 })),
			observe(0, report(func(o *keap.QuotaObservation) { o.DayLimit = 3 })),
			reserve(0, 0, loose, granted(at(0))),
			reserve(ms(100), 0, loose, granted(at(ms(100)))),
			reserve(ms(200), 0, loose, granted(at(ms(200)))),
			reserve(ms(300), 2*time.Hour, loose, refused(reset, day)),
		}},
		{"reported limits hold only for their day", []step{
			// A day limit of 1, a window of 1 and a spike spacing of 30s:
			// the rest of the day is spent, and no longer.
			observe(0, report(func(o *keap.QuotaObservation) {
				o.DayLimit, o.WindowLimit, o.Interval, o.DayResetAt = 1, 1, 30*time.Second, reset
			})),
			reserve(0, 0, loose, granted(at(0))),
			reserve(time.Second, 2*time.Hour, loose, refused(reset, day)),
			reserve(time.Hour, 0, loose, granted(reset)),
			reserve(time.Hour, time.Second, loose, granted(reset.Add(ms(100)))),
			reserve(time.Hour, time.Second, loose, granted(reset.Add(ms(200)))),
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			clock := NewFakeClock(suiteStart)
			runSteps(t, newStore(t, clock), clock, "acct", tt.steps)
		})
	}

	t.Run("forget drops what Keap reported and keeps the slots", func(t *testing.T) {
		t.Parallel()
		ctx := context.Background()
		clock := NewFakeClock(suiteStart)
		s := newStore(t, clock)
		spent := report(func(o *keap.QuotaObservation) { o.DayLimit, o.DayUsed, o.DayResetAt = 1, 1, reset })
		for _, acct := range []string{"a", "b"} {
			runSteps(t, s, clock, acct, []step{
				reserve(0, 0, lim, granted(at(0))),
				observe(0, spent),
				reserve(0, 2*time.Hour, lim, refused(reset, day)),
			})
		}
		if err := s.Forget(ctx, "a"); err != nil {
			t.Fatal(err)
		}
		// a's day is free again; its last slot still spaces the next.
		runSteps(t, s, clock, "a", []step{reserve(ms(10), time.Second, lim, granted(at(ms(200))))})
		runSteps(t, s, clock, "b", []step{reserve(ms(10), 2*time.Hour, lim, refused(reset, day))})
		if err := s.Forget(ctx, ""); err != nil {
			t.Fatal(err)
		}
		runSteps(t, s, clock, "b", []step{reserve(ms(10), time.Second, lim, granted(at(ms(200))))})
	})

	t.Run("the day's budget is keap.DayBudget", func(t *testing.T) {
		t.Parallel()
		clock := NewFakeClock(suiteStart)
		s := newStore(t, clock)
		ctx := context.Background()
		cases := []struct{ perDay, reported, reserve, share int64 }{
			{20, 0, 0, 0}, {20, 12, 0, 0}, {20, 30, 0, 0}, {20, 0, 5, 0}, {20, 12, 5, 0},
			{20, 0, 25, 0}, {20, 0, 0, 500}, {21, 0, 0, 333}, {20, 12, 5, 250}, {20, 0, 0, 1},
			{20, 0, 0, 999}, {20, 0, 0, 1000}, {20, 0, 3, 1500},
		}
		for i, c := range cases {
			account := fmt.Sprintf("budget-%d", i)
			lim := keap.QuotaLimits{PerDay: c.perDay, DayReserve: c.reserve, DayShare: c.share, DayLength: time.Hour}
			if c.reported > 0 {
				o := report(func(o *keap.QuotaObservation) { o.DayLimit, o.DayResetAt = c.reported, reset })
				if err := s.Observe(ctx, account, clock.Now(), o); err != nil {
					t.Fatal(err)
				}
			}
			n := int64(0)
			for ; n <= c.perDay; n++ {
				g, err := s.Reserve(ctx, account, 0, lim)
				if err != nil {
					t.Fatal(err)
				}
				if !g.OK {
					if g.Window != day {
						t.Fatalf("%+v: refused by %q after %d, want by the day", c, g.Window, n)
					}
					break
				}
			}
			if want := keap.DayBudget(lim, c.reported); n != want {
				t.Errorf("%+v: %d calls granted in the day, keap.DayBudget says %d", c, n, want)
			}
		}
	})

	t.Run("accounts are separate", func(t *testing.T) {
		t.Parallel()
		clock := NewFakeClock(suiteStart)
		s := newStore(t, clock)
		one := with(func(l *keap.QuotaLimits) { l.PerDay = 1 })
		for _, acct := range []string{"a", "b"} {
			runSteps(t, s, clock, acct, []step{reserve(0, 0, one, granted(at(0)))})
		}
	})

	t.Run("concurrent reservations never overlap", func(t *testing.T) {
		t.Parallel()
		clock := NewFakeClock(suiteStart)
		s := newStore(t, clock)
		lim := keap.QuotaLimits{Interval: ms(10), PerWindow: 50, Window: time.Second, PerDay: 1000, DayLength: time.Hour}
		var mu sync.Mutex
		var slots []time.Time
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				for range 25 {
					g, err := s.Reserve(context.Background(), "a", time.Hour, lim)
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
		if err := checkSlots(slots, lim); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("a canceled context reserves nothing", func(t *testing.T) {
		t.Parallel()
		clock := NewFakeClock(suiteStart)
		s := newStore(t, clock)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, err := s.Reserve(ctx, "a", 0, lim); err == nil {
			t.Fatal("Reserve with a canceled context succeeded")
		}
		runSteps(t, s, clock, "a", []step{reserve(0, 0, lim, granted(at(0)))})
	})
}

// checkSlots reports two slots closer than lim's interval, or more than
// its PerWindow in a window.
func checkSlots(slots []time.Time, lim keap.QuotaLimits) error {
	seen := map[time.Time]bool{}
	for _, at := range slots {
		if seen[at] {
			return fmt.Errorf("slot %v granted twice", at)
		}
		seen[at] = true
		n := 0
		for _, o := range slots {
			d := at.Sub(o)
			if d < 0 {
				d = -d
			}
			if d > 0 && d < lim.Interval {
				return fmt.Errorf("slots %v and %v closer than %v", at, o, lim.Interval)
			}
			if o.After(at.Add(-lim.Window)) && !o.After(at) {
				n++
			}
		}
		if n > int(lim.PerWindow) {
			return fmt.Errorf("%d slots in the window ending %v", n, at)
		}
	}
	return nil
}
