package keap

import (
	"context"
	"time"
)

// Quota window names, as reported in QuotaGrant.Window and used as keys by
// QuotaStore implementations.
const (
	WindowSecond = "second"
	WindowMinute = "minute"
	WindowDay    = "day"
)

// QuotaLimits is what a QuotaStore must enforce for one account on one
// reservation, before the store tightens it with the limits Keap reported to
// any process sharing it (see QuotaStore). The governor computes it from the
// configuration alone; the store counts, and remembers what Keap reported.
//
// QuotaLimits, QuotaGrant and QuotaObservation are aliases of unnamed structs
// of standard-library types, so another package (the warehouse) can declare
// the identical aliases and implement QuotaStore without importing keap.
// Change them only together with every implementation.
type QuotaLimits = struct {
	// Interval is the minimum spacing between two granted calls (one second
	// divided by the per-second rate, plus the spacing margin). Calls are
	// spaced evenly: Keap's spike arrest rejects bursts even below the
	// nominal per-second rate. Zero disables spacing, whatever Keap
	// reported.
	Interval time.Duration

	// PerWindow is the number of calls allowed in any rolling window of
	// length Window (Keap's per-minute throttle). Zero disables the window,
	// whatever Keap reported.
	PerWindow int64

	// Window is the length of the rolling window (one minute plus the
	// window margin in production; tests compress it).
	Window time.Duration

	// PerDay is the daily limit, before DayReserve. Zero means no call may
	// be made today.
	PerDay int64

	// DayReserve is the part of the day left to other integrations on the
	// key: it is subtracted from whichever daily limit applies, PerDay or
	// the lower one Keap reported.
	DayReserve int64

	// DayShare, when between 1 and 999, lets this reservation use only that
	// many thousandths of the day's budget (after DayReserve): background
	// calls leave the rest to foreground ones. Zero (or 1000 and more)
	// means the whole budget.
	DayShare int64

	// DayLength is the length of a quota day when Keap has not reported
	// when the day resets: zero means UTC calendar days (the next 00:00
	// UTC), else days aligned to multiples of DayLength since the Unix
	// epoch (tests compress days).
	DayLength time.Duration

	// DayResetMargin is how long after the day's reset time the day rolls
	// over: the first call of a new day leaves only once Keap's reset has
	// surely passed, whatever the header's precision and the offset
	// between Keap's clock and the store's.
	DayResetMargin time.Duration
}

// DayBudget is how many calls reservations under lim may take in a day whose
// limit Keap reported as reported (0 or less: none reported): the lower of
// lim.PerDay and reported, less lim.DayReserve (at least zero), and of that
// only lim.DayShare thousandths when DayShare is in 1..999 (rounded down).
// It is step 0 of the QuotaStore semantics and the one place that computes
// it: MemoryQuotaStore applies it, status and plan report it, and the
// warehouse's ledger computes the same in SQL (QuotaStoreSuite checks every
// store against it).
func DayBudget(lim QuotaLimits, reported int64) int64 {
	perDay := lim.PerDay
	if reported > 0 && reported < perDay {
		perDay = reported
	}
	perDay = max(perDay-lim.DayReserve, 0)
	if lim.DayShare > 0 && lim.DayShare < 1000 {
		perDay = perDay * lim.DayShare / 1000
	}
	return perDay
}

// QuotaGrant is a QuotaStore's answer to a reservation.
type QuotaGrant = struct {
	// OK reports whether a call was reserved.
	OK bool

	// At is, when OK, the time at which the reserved call may be sent (now
	// or a moment later, at most the requested maximum wait); when not OK,
	// the earliest time at which a reservation could succeed. It is on the
	// caller's clock: a store that keeps another clock (the database's)
	// converts it with the offset it measured.
	At time.Time

	// Uncertainty bounds how far At may be from the store's slot, as
	// converted to the caller's clock: half the round trip of the
	// measurement the conversion rests on (zero for a store on the
	// caller's own clock).
	Uncertainty time.Duration

	// Window names the window that refused the call when not OK
	// (WindowSecond, WindowMinute or WindowDay).
	Window string
}

// QuotaObservation is what Keap reported about an account's quota in one
// response. Negative counts mean the header was absent; a limit that is not
// positive (or a zero Interval) means it was not reported.
type QuotaObservation = struct {
	// DayLimit is x-keap-product-quota-limit, or -1.
	DayLimit int64
	// DayUsed is x-keap-product-quota-used, or -1.
	DayUsed int64
	// DayResetAt is x-keap-product-quota-expiry-time, or the zero time.
	DayResetAt time.Time
	// WindowLimit is x-keap-product-throttle-limit, or -1.
	WindowLimit int64
	// WindowUsed is x-keap-product-throttle-used, or -1.
	WindowUsed int64
	// Window is the length of the rolling window WindowUsed refers to.
	Window time.Duration
	// Interval is the spacing x-keap-product-spike-limit implies ("10ps":
	// a tenth of a second), or zero.
	Interval time.Duration
}

// QuotaStore holds the quota counts of every account. It is the seam that lets
// every goroutine, process and restart share one budget: the default
// implementation lives in memory (NewMemoryQuotaStore); the warehouse
// implements it in Postgres. Implementations must be safe for concurrent use
// and make each Reserve atomic.
//
// A store keeps one clock for everything it decides: slots, windows and the
// day's rollover are on it, never on a caller's. The memory store's clock is
// its process's; the Postgres ledger's is the database's, so processes on
// machines whose clocks disagree still share one timeline. Times a caller
// passes in (Observe's at) and gets back (QuotaGrant.At) are on the
// caller's clock, converted by the store.
//
// Every implementation keeps, per account, the last granted slot, a sorted
// log of slots inside the rolling window, the day's count and its reset
// time, and the limits Keap reported for the current day (day limit, window
// limit, spike spacing), and behaves exactly alike (keaptest.QuotaStoreSuite
// runs both). Reserve applies the tighter of the caller's limits and the
// reported ones, so a process that has not yet heard from Keap never sends
// a call another process already knows is doomed. With now the store's
// clock:
//
//  0. The day's limit is the lower of lim.PerDay and the reported day
//     limit, less lim.DayReserve (at least zero), and of that only
//     lim.DayShare thousandths when DayShare is in 1..999 (rounded down).
//     When lim.PerWindow is positive, the window's limit is the lower of
//     it and the reported window limit; when lim.Interval is positive, the
//     spacing is the larger of it and the reported spike spacing.
//  1. Day rollover: once now reaches the stored reset plus
//     lim.DayResetMargin, the count restarts at zero, the reported limits
//     are forgotten (they held for the day they were reported), and the
//     reset becomes the next day boundary after now (see
//     QuotaLimits.DayLength). With no reset stored, the reset becomes that
//     boundary and the count stays.
//  2. A spent day refuses until the stored reset plus lim.DayResetMargin,
//     with WindowDay.
//  3. The slot t is now, or the last slot plus the spacing if later.
//  4. If the window's limit of slots already lie in (t-Window, t], t moves
//     to when the oldest of them leaves the window.
//  5. A slot at or after the stored reset less lim.DayResetMargin refuses
//     until the reset plus the margin, with WindowDay, taking nothing: a
//     call that close to Keap's reset could be counted on either side of
//     it, and one past it belongs to a day not yet counted. Otherwise a
//     slot later than now+maxWait refuses, taking nothing: WindowMinute if
//     step 4 moved t, else WindowSecond.
//  6. Otherwise t is logged, slots at or before now-Window are dropped (as
//     of now, not t: a slot in the next window must not hide calls Keap
//     still counts), the day's count grows by one, and t is granted.
//
// Observe stores each reported limit that is positive (replacing the last
// one: Keap's limits may rise as well as fall; the caller's limits still
// cap them). A reported reset that is not after now belongs to a day that
// is over: that reading's day fields are ignored. Otherwise a reset later
// than a stored one that has passed starts a new day; a changed reset is
// trusted; the day's count rises to DayUsed plus the slots granted after
// now (calls that had not left when Keap answered, so it cannot have
// counted them). When Keap counts more calls in
// (now-Window, now] than the log holds, the difference is logged at now:
// usage by another integration on the same key.
type QuotaStore interface {
	// Reserve takes one call for account if every window of lim allows one
	// at some time no later than maxWait from now, and returns that time.
	// It takes nothing when no such time exists, returning instead the
	// earliest time a call could be granted and the window that refused it.
	Reserve(ctx context.Context, account string, maxWait time.Duration, lim QuotaLimits) (QuotaGrant, error)

	// Observe reconciles the stored counts with what Keap reported in a
	// response received at at (on the caller's clock). Reported usage can
	// only raise the stored counts, never lower them.
	Observe(ctx context.Context, account string, at time.Time, obs QuotaObservation) error

	// Forget drops what Keap reported for account (limits, reset time and
	// the day's count), keeping the slots granted: the operator's way out
	// of a reading that should not have been believed. An empty account
	// means every account.
	Forget(ctx context.Context, account string) error
}

// nextDayReset is the first day boundary after now: the next 00:00 UTC, or
// with dayLength set, the next multiple of dayLength since the Unix epoch.
func nextDayReset(now time.Time, dayLength time.Duration) time.Time {
	if dayLength > 0 {
		since := now.Sub(time.Unix(0, 0))
		return time.Unix(0, 0).Add((since/dayLength + 1) * dayLength).UTC()
	}
	y, m, d := now.UTC().Date()
	return time.Date(y, m, d+1, 0, 0, 0, 0, time.UTC)
}
