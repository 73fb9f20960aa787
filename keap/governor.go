package keap

import (
	"context"
	"fmt"
	"math"
	"sync"
	"time"
)

// noDayLimit stands for a disabled daily budget in QuotaLimits.PerDay.
const noDayLimit = math.MaxInt64 / 2

// governor keeps every call of one client inside Keap's quota. The counts,
// and the limits Keap reported to any process, live in the QuotaStore
// (shared by processes); the governor holds what Keap's headers last told
// this client about the limits, and pauses that 429s impose.
//
// Latency margin: Keap (and the simulator) measure spacing and the rolling
// window when a request arrives, while the governor grants slots at send
// time. A request delayed in flight, or whose goroutine woke late, arrives
// later than its slot; if the next request is not delayed, the two arrive
// closer than granted. A grant that reaches a process late (a slow
// round trip to the shared ledger under load) has the same effect. The
// governor therefore widens the spacing by SpacingMargin (default 100ms) and
// the rolling window by WindowMargin (default 1% of the window) over what
// Keap enforces. The spike arrest also tolerates 10% below its interval, so
// the default spacing absorbs ~120ms of jitter and the window ~600ms; the
// cost is a third of the per-second rate, which is never the binding
// limit at the defaults (120 a minute is 2 a second), and 1% of the minute.
type governor struct {
	account string
	store   QuotaStore
	clock   Clock
	cfg     QuotaConfig

	mu          sync.Mutex
	dayLimit    int64         // x-keap-product-quota-limit last reported, -1 unknown
	windowLimit int64         // x-keap-product-throttle-limit last reported, -1 unknown
	spikeEvery  time.Duration // spacing implied by x-keap-product-spike-limit, 0 unknown
	dayResetAt  time.Time     // x-keap-product-quota-expiry-time last reported
	pauseUntil  time.Time     // no call before this (a 429 said so)
	pauseWindow string        // the window that imposed pauseUntil

	storeLatency time.Duration // recent time a reservation took (see leadTime)
	lateness     time.Duration // recent delay of calls after their slots (see recordLateness)
	warm         bool          // the first call is done (see waitWarm)
	lastRelease  time.Time     // when pace last let a call go
	warming      chan struct{} // closed when warm
}

func newGovernor(cfg Config) *governor {
	return &governor{
		account:     cfg.Account,
		store:       cfg.Store,
		clock:       cfg.Clock,
		cfg:         cfg.Quota,
		dayLimit:    -1,
		windowLimit: -1,
		lateness:    coldLateness(cfg.Clock),
	}
}

// coldLateness is the lateness a new governor assumes: on the real clock,
// a fresh process's first calls dial new connections and run cold, so it
// starts as if calls left a little late, until they show otherwise. A fake
// clock has no such delays.
func coldLateness(c Clock) time.Duration {
	if _, real := c.(SystemClock); real {
		return coldStartLateness
	}
	return 0
}

// coldStartLateness is the lateness a governor on the real clock assumes
// for its first calls.
const coldStartLateness = 60 * time.Millisecond

// limitsLocked computes the limits the store enforces at now: the
// configuration, tightened (never loosened) by what Keap last reported.
func (g *governor) limitsLocked(now time.Time) QuotaLimits {
	q := g.cfg
	var lim QuotaLimits
	if q.PerSecond > 0 {
		lim.Interval = q.Second / time.Duration(q.PerSecond)
		lim.Interval = max(lim.Interval, g.spikeEvery)
		lim.Interval += max(q.SpacingMargin, g.lateMarginLocked())
	}
	if q.PerMinute > 0 {
		lim.PerWindow = g.effectiveWindowLimitLocked()
		lim.Window = q.Minute
		if q.WindowMargin > 0 {
			lim.Window += q.WindowMargin
		}
	}
	if q.PerDay > 0 {
		lim.PerDay = g.effectiveDayLimitLocked()
		lim.DayReserve = q.Reserve
	} else {
		lim.PerDay = noDayLimit
	}
	lim.DayResetAt = g.dayResetAt
	if !lim.DayResetAt.After(now) {
		lim.DayResetAt = nextDayReset(now, q.DayLength)
	}
	return lim
}

// effectiveWindowLimitLocked is the per-minute limit: the configured one,
// or Keap's if lower (but at least 1, since 0 would disable the window).
func (g *governor) effectiveWindowLimitLocked() int64 {
	n := int64(g.cfg.PerMinute)
	if g.windowLimit >= 0 && g.windowLimit < n {
		n = max(g.windowLimit, 1)
	}
	return n
}

// effectiveDayLimitLocked is the daily limit before the reserve (which the
// store subtracts, from this or a lower limit Keap reported to another
// process).
func (g *governor) effectiveDayLimitLocked() int64 {
	n := g.cfg.PerDay
	if g.dayLimit >= 0 && g.dayLimit < n {
		n = g.dayLimit
	}
	return n
}

// nextDayReset is the next 00:00 UTC after now, or the end of the current
// dayLength-aligned day when days are compressed.
func nextDayReset(now time.Time, dayLength time.Duration) time.Time {
	if dayLength > 0 {
		return now.Truncate(dayLength).Add(dayLength)
	}
	y, m, d := now.UTC().Date()
	return time.Date(y, m, d+1, 0, 0, 0, 0, time.UTC)
}

// callLimitsLocked are the limits of one reservation: a background call
// may spend only BackgroundShare of the day's budget, so a backfill leaves
// the end of every day to the incremental syncs. The store applies the
// share to whichever daily limit holds, the configured or Keap's.
func (g *governor) callLimitsLocked(now time.Time, background bool) QuotaLimits {
	lim := g.limitsLocked(now)
	if background && g.cfg.PerDay > 0 && g.cfg.BackgroundShare < 1 {
		lim.DayShare = max(int64(g.cfg.BackgroundShare*1000), 1)
	}
	return lim
}

// reserve takes a slot for one call and waits until it comes, honouring ctx.
// It returns a *QuotaError, without waiting, when the slot is further away
// than MaxWait or ctx's deadline, or when the day's budget for the call's
// priority is spent.
func (g *governor) reserve(ctx context.Context, background bool) error {
	_, _, err := g.reserveSlot(ctx, background)
	return err
}

// reserveSlot is reserve, returning the slot taken and how long the store
// took to grant it.
func (g *governor) reserveSlot(ctx context.Context, background bool) (slot time.Time, store time.Duration, err error) {
	now := g.clock.Now()
	maxWait := g.cfg.MaxWait
	if dl, ok := ctx.Deadline(); ok {
		maxWait = min(maxWait, max(dl.Sub(now), 0))
	}

	g.mu.Lock()
	lim := g.callLimitsLocked(now, background)
	pause, pauseWindow := g.pauseUntil, g.pauseWindow
	g.mu.Unlock()

	// Ask for a slot a little ahead, by what a reservation has lately
	// taken to come back: a grant that arrives after its slot sends its
	// call late, bringing it closer to the next call than Keap allows.
	lead := g.leadTime()
	from, wait := now.Add(lead), max(maxWait-lead, 0)
	if pause.After(from) {
		if pause.Sub(now) > maxWait {
			return time.Time{}, 0, &QuotaError{Window: pauseWindow, RetryAt: pause}
		}
		from, wait = pause, maxWait-pause.Sub(now)
	}
	asked := g.clock.Now()
	grant, err := g.store.Reserve(ctx, g.account, from, wait, lim)
	store = g.clock.Now().Sub(asked)
	g.recordStoreLatency(g.clock.Now().Sub(now))
	if err != nil {
		return time.Time{}, store, fmt.Errorf("quota store: %w", err)
	}
	if !grant.OK {
		return time.Time{}, store, &QuotaError{Window: grant.Window, RetryAt: grant.At}
	}
	if d := grant.At.Sub(g.clock.Now()); d > 0 {
		// The slot is taken even if ctx ends first: Keap may count a call
		// the store granted, so the store must too.
		if err := g.clock.Sleep(ctx, d); err != nil {
			return time.Time{}, store, err
		}
	}
	if err := g.pace(ctx); err != nil {
		return time.Time{}, store, err
	}
	return grant.At, store, nil
}

// pace holds a call whose slot has come until the spike interval has
// passed since this client last let a call go. Slots are spaced by more
// than the interval, but a call that leaves late (a goroutine woken late on
// a busy machine, a pause of the process) would otherwise be followed, on
// time, by the next, closer than Keap's spike arrest allows. Calls held
// here leave later than their slots, which the window's margin covers.
// Other processes' calls are kept apart by the margins alone.
func (g *governor) pace(ctx context.Context) error {
	if g.cfg.PerSecond <= 0 {
		return nil
	}
	g.mu.Lock()
	interval := max(g.cfg.Second/time.Duration(g.cfg.PerSecond), g.spikeEvery)
	now := g.clock.Now()
	at := now
	if next := g.lastRelease.Add(interval); next.After(at) {
		at = next
	}
	g.lastRelease = at
	g.mu.Unlock()
	if d := at.Sub(now); d > 0 {
		return g.clock.Sleep(ctx, d)
	}
	return nil
}

// sent notes when the call of slot was written to its connection (zero:
// it never was). On the real clock, how late that was feeds the margins
// (recordLateness); a fake clock's slots are not comparable with the
// wall clock.
func (g *governor) sent(slot, wrote time.Time) {
	if wrote.IsZero() || slot.IsZero() {
		return
	}
	if _, real := g.clock.(SystemClock); real {
		g.recordLateness(wrote.Sub(slot))
	}
}

// waitWarm holds a call until the client's first call is done, and
// reports whether this call is the first (which must call setWarm when
// its attempt is over). The first call pays for new connections and a cold
// process and may reach Keap late: going alone, the lateness it measures
// widens the margins before the next call's slot is taken, and its answer
// brings Keap's limits.
func (g *governor) waitWarm(ctx context.Context) (first bool, err error) {
	g.mu.Lock()
	if g.warm {
		g.mu.Unlock()
		return false, nil
	}
	if g.warming == nil {
		g.warming = make(chan struct{})
		g.mu.Unlock()
		return true, nil
	}
	ch := g.warming
	g.mu.Unlock()
	select {
	case <-ch:
		return false, nil
	case <-ctx.Done():
		return false, ctx.Err()
	}
}

// setWarm lets every call go once the first is done.
func (g *governor) setWarm() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.warm {
		g.warm = true
		if g.warming != nil {
			close(g.warming)
		}
	}
}

// maxLateMargin bounds the margin lateness can add.
const maxLateMargin = 500 * time.Millisecond

// recordLateness notes how late a call left after its slot (a goroutine
// woken late on a loaded machine, a grant that came back late, a new
// connection): the margins grow to one and a half times the recent
// lateness, so late calls do not arrive inside Keap's limits, and shrink
// back when the machine is calm.
func (g *governor) recordLateness(d time.Duration) {
	d = max(d, 0)
	g.mu.Lock()
	defer g.mu.Unlock()
	if d > g.lateness {
		g.lateness = d
	} else {
		g.lateness = g.lateness*7/8 + d/8
	}
}

// lateMarginLocked is the margin recent lateness calls for.
func (g *governor) lateMarginLocked() time.Duration {
	return min(g.lateness*3/2, maxLateMargin)
}

// maxLead bounds how far ahead a slot is asked for.
const maxLead = 250 * time.Millisecond

// leadTime is how far ahead of now the next reservation asks for its slot:
// twice the recent store latency (rising at once, falling slowly), at most
// maxLead. With an in-memory store it is about zero.
func (g *governor) leadTime() time.Duration {
	g.mu.Lock()
	defer g.mu.Unlock()
	return min(2*g.storeLatency, maxLead)
}

func (g *governor) recordStoreLatency(d time.Duration) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if d > g.storeLatency {
		g.storeLatency = d
	} else {
		g.storeLatency = g.storeLatency*7/8 + d/8
	}
}

// observe reconciles the store with a response's quota headers (r.At is
// when the response arrived).
//
// The store compares Keap's count with the slots it granted in the window
// before r.At, and adds only the difference (calls by other integrations on
// the key). Keap counts calls when they arrive, after their slots, so the
// store is asked to count over the window widened by WindowMargin: a call
// sent just before the window began but counted by Keap is then not taken
// for someone else's.
func (g *governor) observe(ctx context.Context, r QuotaReading) error {
	if !r.Present() && r.SpikeLimit == "" {
		return nil
	}
	g.mu.Lock()
	if r.DayLimit >= 0 {
		g.dayLimit = r.DayLimit
	}
	if r.WindowLimit >= 0 {
		g.windowLimit = r.WindowLimit
	}
	var spikeEvery time.Duration
	if n, perMinute, ok := spikePerUnit(r.SpikeLimit); ok {
		unit := g.cfg.Second
		if perMinute {
			unit = g.cfg.Minute
		}
		spikeEvery = unit / time.Duration(n)
		g.spikeEvery = spikeEvery
	}
	if !r.DayResetAt.IsZero() {
		g.dayResetAt = r.DayResetAt
	}
	dayLimit := g.effectiveDayLimitLocked()
	windowLimit := g.effectiveWindowLimitLocked()
	g.mu.Unlock()

	// The limits Keap reported go to the store too, so a process that has
	// not heard from Keap yet still applies them. Only the limits this
	// client enforces are shared, as it enforces them.
	obs := QuotaObservation{DayLimit: -1, DayUsed: -1, DayResetAt: r.DayResetAt, WindowLimit: -1, WindowUsed: -1, Window: g.cfg.Minute + max(g.cfg.WindowMargin, 0)}
	if g.cfg.PerSecond > 0 {
		obs.Interval = spikeEvery
	}
	if g.cfg.PerDay > 0 {
		obs.DayLimit = r.DayLimit
		obs.DayUsed = r.DayUsed
		// Available can only tighten: relative to our (possibly smaller)
		// limit, Keap's remaining calls imply at least this many used.
		if r.DayAvailable >= 0 {
			obs.DayUsed = max(obs.DayUsed, dayLimit-r.DayAvailable)
		}
	}
	if g.cfg.PerMinute > 0 {
		if r.WindowLimit >= 0 {
			obs.WindowLimit = max(r.WindowLimit, 1) // as effectiveWindowLimitLocked
		}
		obs.WindowUsed = r.WindowUsed
		if r.WindowAvailable >= 0 {
			obs.WindowUsed = max(obs.WindowUsed, windowLimit-r.WindowAvailable)
		}
		// More than the limit blocks no more than the limit does, and a
		// hostile header must not grow the log without bound.
		obs.WindowUsed = min(obs.WindowUsed, windowLimit)
	}
	if obs.DayLimit < 0 && obs.DayUsed < 0 && obs.DayResetAt.IsZero() && obs.WindowLimit < 0 && obs.WindowUsed < 0 && obs.Interval == 0 {
		return nil
	}
	if err := g.store.Observe(ctx, g.account, r.At, obs); err != nil {
		return fmt.Errorf("quota store: %w", err)
	}
	return nil
}

// penalize feeds a 429 back into the governor: a day 429 spends the day, a
// minute 429 fills the window, and a Retry-After (or a spike or tenant 429)
// pauses every call of this client.
func (g *governor) penalize(ctx context.Context, now time.Time, e *RateLimitError) error {
	g.mu.Lock()
	lim := g.limitsLocked(now)
	dayLimit := g.effectiveDayLimitLocked()
	windowLimit := g.effectiveWindowLimitLocked()
	g.mu.Unlock()

	var pause time.Duration
	window := causeWindow(e.Cause)
	obs := QuotaObservation{DayLimit: -1, DayUsed: -1, WindowLimit: -1, WindowUsed: -1, Window: g.cfg.Minute}
	switch e.Cause {
	case CauseDay:
		reset := lim.DayResetAt
		if !e.Quota.DayResetAt.IsZero() && e.Quota.DayResetAt.After(now) {
			reset = e.Quota.DayResetAt
		}
		obs.DayUsed, obs.DayResetAt = dayLimit, reset
		pause = reset.Sub(now)
	case CauseSpike:
		pause = lim.Interval
	case CauseTenant:
		pause = g.cfg.Minute / 10
	default: // minute, unknown
		if g.cfg.PerMinute > 0 {
			obs.WindowUsed = windowLimit
		} else {
			pause = g.cfg.Minute / 10
		}
	}
	if e.HasRetryAfter && e.RetryAfter > pause {
		pause = e.RetryAfter
	}
	if pause > 0 {
		g.mu.Lock()
		if until := now.Add(pause); until.After(g.pauseUntil) {
			g.pauseUntil, g.pauseWindow = until, window
		}
		g.mu.Unlock()
	}
	if obs.DayUsed < 0 && obs.WindowUsed < 0 {
		return nil
	}
	if err := g.store.Observe(ctx, g.account, now, obs); err != nil {
		return fmt.Errorf("quota store: %w", err)
	}
	return nil
}

// causeWindow maps a 429's cause to the QuotaError window it exhausts.
func causeWindow(c RateLimitCause) string {
	switch c {
	case CauseSpike:
		return WindowSecond
	case CauseDay:
		return WindowDay
	case CauseTenant:
		return WindowTenant
	}
	return WindowMinute
}
