package keap

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"sync"
	"time"
)

// noDayLimit stands for a disabled daily budget in QuotaLimits.PerDay.
const noDayLimit = math.MaxInt64 / 2

// governor keeps every call of one client inside Keap's quota. The counts,
// and the limits Keap reported to any process, live in the QuotaStore
// (shared by processes, on one clock); the governor turns the configuration
// into each reservation's limits, holds the short pauses that 429s impose,
// and bounds how late a granted call may leave.
//
// Why a late call must not leave: Keap measures spacing and the rolling
// window when a request arrives, while the store grants slots. Slots are
// spaced by the spike interval plus SpacingMargin, and the window is
// WindowMargin longer than Keap's. A call that leaves at most L after its
// slot, followed by one that leaves on time, arrives at least
// interval+SpacingMargin-L after it; and the calls any Keap window counts
// had their slots inside a span WindowMargin+L longer than that window's,
// at worst. So every call that leaves within min(SpacingMargin,
// WindowMargin) of its slot keeps Keap's spacing and window, on any machine
// and across processes, however late other calls are (less twice the
// uncertainty of the store's clock as converted to ours, since two
// processes may err in opposite directions). The client checks the
// lateness just before the request is written (see gate); a call later than
// that takes a new slot, and the old one stays spent in the store.
type governor struct {
	account string
	store   QuotaStore
	clock   Clock
	cfg     QuotaConfig
	log     *slog.Logger

	mu          sync.Mutex
	pauseUntil  time.Time // no call before this (a 429 said so)
	pauseWindow string    // the window that imposed pauseUntil
	absurd      map[string]bool
	heard       bool          // the client's first call is over (see waitFirst)
	hearing     chan struct{} // closed when it is
}

func newGovernor(cfg Config) *governor {
	return &governor{
		account: cfg.Account,
		store:   cfg.Store,
		clock:   cfg.Clock,
		cfg:     cfg.Quota,
		log:     cfg.Logger,
		absurd:  map[string]bool{},
	}
}

// waitFirst holds a call until the client's first call is over, and
// reports whether this call is the first (which must call firstDone when
// its attempt is over). How much of the day others spent on the key
// (another integration, an earlier process) is known only from Keap's
// answer; calls granted before it comes could be doomed, and go after it.
func (g *governor) waitFirst(ctx context.Context) (first bool, err error) {
	g.mu.Lock()
	if g.heard {
		g.mu.Unlock()
		return false, nil
	}
	if g.hearing == nil {
		g.hearing = make(chan struct{})
		g.mu.Unlock()
		return true, nil
	}
	ch := g.hearing
	g.mu.Unlock()
	select {
	case <-ch:
		return false, nil
	case <-ctx.Done():
		return false, ctx.Err()
	}
}

// firstDone lets every call go once the first is over.
func (g *governor) firstDone() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.heard {
		g.heard = true
		if g.hearing != nil {
			close(g.hearing)
		}
	}
}

// dayShare is QuotaLimits.DayShare for a background call (true) or a
// foreground one.
func (q QuotaConfig) dayShare(background bool) int64 {
	if background && q.BackgroundShare < 1 {
		return max(int64(q.BackgroundShare*1000), 1)
	}
	return 0
}

// DayBudget is the day's budget of foreground calls (of background calls,
// when background) under q, given the day limit Keap reported (0 or less:
// none), as every QuotaStore applies it (see DayBudget); -1 when q has no
// daily budget (PerDay <= 0).
func (q QuotaConfig) DayBudget(reported int64, background bool) int64 {
	if q.PerDay <= 0 {
		return -1
	}
	return DayBudget(QuotaLimits{PerDay: q.PerDay, DayReserve: q.Reserve, DayShare: q.dayShare(background)}, reported)
}

// limits are the limits of one reservation, from the configuration (the
// store tightens them with what Keap reported). A background call may
// spend only BackgroundShare of the day's budget, so a backfill leaves the
// end of every day to the incremental syncs; the store applies the share to
// whichever daily limit holds, the configured or Keap's.
func (g *governor) limits(background bool) QuotaLimits {
	q := g.cfg
	var lim QuotaLimits
	if q.PerSecond > 0 {
		lim.Interval = q.Second/time.Duration(q.PerSecond) + max(q.SpacingMargin, 0)
	}
	if q.PerMinute > 0 {
		lim.PerWindow = int64(q.PerMinute)
		lim.Window = q.Minute + max(q.WindowMargin, 0)
	}
	if q.PerDay > 0 {
		lim.PerDay, lim.DayReserve, lim.DayShare = q.PerDay, q.Reserve, q.dayShare(background)
	} else {
		lim.PerDay = noDayLimit
	}
	lim.DayLength = q.DayLength
	// No slot is granted within the margin before a reset (see
	// QuotaStore): a call granted just outside it may still leave as late
	// as the lateness bound, so the margin is at least that.
	lim.DayResetMargin = max(q.DayResetMargin, 0)
	if late, ok := g.maxLateness(0); ok {
		lim.DayResetMargin = max(lim.DayResetMargin, late)
	}
	return lim
}

// maxLateness is how late after its slot a call may leave (see governor):
// the smaller margin of the windows that are enforced, less twice the
// uncertainty of the slot's conversion to this client's clock. ok is false
// when no window is enforced, and any lateness is harmless.
func (g *governor) maxLateness(uncertainty time.Duration) (d time.Duration, ok bool) {
	q := g.cfg
	d = time.Duration(math.MaxInt64)
	if q.PerSecond > 0 {
		d, ok = max(q.SpacingMargin, 0), true
	}
	if q.PerMinute > 0 {
		d, ok = min(d, max(q.WindowMargin, 0)), true
	}
	return d - 2*uncertainty, ok
}

// slot is a granted call: it may leave from at until deadline (zero: any
// time).
type slot struct {
	at, deadline time.Time
}

// reserve takes a slot for one call and waits until it comes, honouring
// ctx. It returns a *QuotaError, without waiting, when the slot is further
// away than MaxWait or ctx's deadline, or when the day's budget for the
// call's priority is spent. store is how long the store took to answer.
func (g *governor) reserve(ctx context.Context, background bool) (s slot, store time.Duration, err error) {
	now := g.clock.Now()
	maxWait := g.cfg.MaxWait
	if dl, ok := ctx.Deadline(); ok {
		maxWait = min(maxWait, max(dl.Sub(now), 0))
	}

	g.mu.Lock()
	pause, pauseWindow := g.pauseUntil, g.pauseWindow
	g.mu.Unlock()
	if d := pause.Sub(now); d > 0 {
		if d > maxWait {
			return slot{}, 0, &QuotaError{Window: pauseWindow, RetryAt: pause}
		}
		if err := g.clock.Sleep(ctx, d); err != nil {
			return slot{}, 0, err
		}
		maxWait -= d
	}
	asked := g.clock.Now()
	grant, err := g.store.Reserve(ctx, g.account, maxWait, g.limits(background))
	store = g.clock.Now().Sub(asked)
	if err != nil {
		return slot{}, store, fmt.Errorf("quota store: %w", err)
	}
	if !grant.OK {
		return slot{}, store, &QuotaError{Window: grant.Window, RetryAt: grant.At}
	}
	if d := grant.At.Sub(g.clock.Now()); d > 0 {
		// The slot is taken even if ctx ends first: Keap may count a call
		// the store granted, so the store must too.
		if err := g.clock.Sleep(ctx, d); err != nil {
			return slot{}, store, err
		}
	}
	s.at = grant.At
	if late, ok := g.maxLateness(grant.Uncertainty); ok {
		s.deadline = grant.At.Add(late)
	}
	return s, store, nil
}

// plausibleDayAhead is how far ahead a reported day reset may lie: a day
// (DayLength when days are compressed), and a twenty-fourth of it for
// clocks that disagree.
func (g *governor) plausibleDayAhead() time.Duration {
	day := 24 * time.Hour
	if g.cfg.DayLength > 0 {
		day = g.cfg.DayLength
	}
	return day + day/24
}

// absurdHeader logs, once per header for this client, a header value that
// is not obeyed because no Keap account could mean it.
func (g *governor) absurdHeader(ctx context.Context, header, value, why string) {
	g.mu.Lock()
	seen := g.absurd[header]
	g.absurd[header] = true
	g.mu.Unlock()
	if !seen {
		g.log.LogAttrs(ctx, slog.LevelWarn, "keap: implausible quota header ignored",
			slog.String("header", header), slog.String("value", clip(value, 64)), slog.String("reason", why))
	}
}

// plausible returns what of reading r keapsync may believe: a day reset
// more than about a day ahead, or a spike limit slower than one call a
// second, is absurd (logged once, and its group of headers dropped); a
// reset already past belongs to a day that is over.
func (g *governor) plausible(ctx context.Context, r QuotaReading) QuotaReading {
	dropDay := func() {
		r.DayLimit, r.DayUsed, r.DayAvailable, r.DayResetAt = -1, -1, -1, time.Time{}
	}
	if !r.DayResetAt.IsZero() && r.DayResetAt.Sub(r.At) > g.plausibleDayAhead() {
		g.absurdHeader(ctx, headerQuotaExpiry, fmt.Sprint(r.DayResetAt.UnixMilli()), "more than a day ahead")
		dropDay()
	}
	if n, perMinute, ok := spikePerUnit(r.SpikeLimit); ok && g.spikeInterval(n, perMinute) > g.cfg.Second {
		g.absurdHeader(ctx, headerSpikeLimit, r.SpikeLimit, "slower than one call a second")
		r.SpikeLimit = ""
	}
	return r
}

// spikeInterval is the spacing a spike limit of n per second (or per
// minute) implies.
func (g *governor) spikeInterval(n int64, perMinute bool) time.Duration {
	unit := g.cfg.Second
	if perMinute {
		unit = g.cfg.Minute
	}
	return unit / time.Duration(n)
}

// observe reconciles the store with a response's quota headers (r.At is
// when the response arrived), once they are judged plausible.
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
	r = g.plausible(ctx, r)
	q := g.cfg
	obs := QuotaObservation{DayLimit: -1, DayUsed: -1, WindowLimit: -1, WindowUsed: -1, Window: q.Minute + max(q.WindowMargin, 0)}
	if n, perMinute, ok := spikePerUnit(r.SpikeLimit); ok && q.PerSecond > 0 {
		obs.Interval = g.spikeInterval(n, perMinute)
	}
	if q.PerDay > 0 {
		obs.DayLimit, obs.DayUsed, obs.DayResetAt = r.DayLimit, r.DayUsed, r.DayResetAt
		// Available can only tighten: relative to the lower of our limit
		// and Keap's, Keap's remaining calls imply at least this many used.
		if r.DayAvailable >= 0 {
			limit := q.PerDay
			if r.DayLimit > 0 {
				limit = min(limit, r.DayLimit)
			}
			obs.DayUsed = max(obs.DayUsed, limit-r.DayAvailable)
		}
	}
	if q.PerMinute > 0 {
		limit := int64(q.PerMinute)
		if r.WindowLimit >= 0 {
			obs.WindowLimit = max(r.WindowLimit, 1) // 0 would disable the window
			limit = min(limit, obs.WindowLimit)
		}
		obs.WindowUsed = r.WindowUsed
		if r.WindowAvailable >= 0 {
			obs.WindowUsed = max(obs.WindowUsed, limit-r.WindowAvailable)
		}
		// More than the limit blocks no more than the limit does, and a
		// hostile header must not grow the log without bound.
		obs.WindowUsed = min(obs.WindowUsed, limit)
	}
	if obs.DayLimit < 0 && obs.DayUsed < 0 && obs.DayResetAt.IsZero() && obs.WindowLimit < 0 && obs.WindowUsed < 0 && obs.Interval == 0 {
		return nil
	}
	if err := g.store.Observe(ctx, g.account, r.At, obs); err != nil {
		return fmt.Errorf("quota store: %w", err)
	}
	return nil
}

// penalize feeds a 429 back into the governor: a day 429 spends the day
// and a minute 429 fills the window, in the store (which then refuses until
// they free, on its own clock); a spike or tenant 429, or a Retry-After,
// pauses every call of this client. A Retry-After longer than the window it
// names could mean is absurd and not obeyed.
func (g *governor) penalize(ctx context.Context, now time.Time, e *RateLimitError) error {
	q := g.cfg
	var pause time.Duration
	window := causeWindow(e.Cause)
	obs := QuotaObservation{DayLimit: -1, DayUsed: -1, WindowLimit: -1, WindowUsed: -1, Window: q.Minute + max(q.WindowMargin, 0)}
	// A Retry-After for a minute's window beyond two minutes is absurd.
	longest := 2 * q.Minute
	r := g.plausible(ctx, e.Quota)
	switch e.Cause {
	case CauseDay:
		longest = g.plausibleDayAhead()
		if q.PerDay <= 0 {
			pause = q.Minute / 10
			break
		}
		// The day is spent until the reset Keap reported with the 429, or
		// else the one the store holds or takes.
		obs.DayUsed, obs.DayResetAt = q.PerDay, r.DayResetAt
	case CauseSpike:
		interval := q.Second / time.Duration(max(q.PerSecond, 1))
		if n, perMinute, ok := spikePerUnit(r.SpikeLimit); ok {
			interval = max(interval, g.spikeInterval(n, perMinute))
		}
		pause = interval + max(q.SpacingMargin, 0)
	case CauseTenant:
		pause = q.Minute / 10
	default: // minute, unknown
		if q.PerMinute > 0 {
			obs.WindowUsed = int64(q.PerMinute)
		} else {
			pause = q.Minute / 10
		}
	}
	if e.HasRetryAfter {
		switch {
		case e.RetryAfter > longest:
			g.absurdHeader(ctx, headerRetryAfter, e.RetryAfter.String(), "longer than the "+window+" it names")
		case e.Cause == CauseDay:
			// The store holds the day until its reset.
		default:
			pause = max(pause, e.RetryAfter)
		}
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
