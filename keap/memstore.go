package keap

import (
	"context"
	"slices"
	"sync"
	"time"
)

// MemoryQuotaStore is the in-memory QuotaStore: one budget shared by every
// goroutine of one process, lost on restart, on that process's clock. It
// follows the semantics documented on QuotaStore exactly, as the
// warehouse's Postgres ledger does.
type MemoryQuotaStore struct {
	now func() time.Time

	mu       sync.Mutex
	accounts map[string]*memoryQuotaAccount
}

type memoryQuotaAccount struct {
	lastAt     time.Time
	log        []time.Time // granted slots (and reported usage) still inside the window, sorted
	dayCount   int64
	dayResetAt time.Time

	// What Keap reported for the current day; zero when it did not.
	dayLimit    int64
	windowLimit int64
	interval    time.Duration
}

// NewMemoryQuotaStore returns an empty in-memory QuotaStore on the clock
// now (nil: time.Now). Give it the clock of the clients sharing it
// (Config.Clock.Now), as New does when Config.Store is nil.
func NewMemoryQuotaStore(now func() time.Time) *MemoryQuotaStore {
	if now == nil {
		now = time.Now
	}
	return &MemoryQuotaStore{now: now, accounts: make(map[string]*memoryQuotaAccount)}
}

var _ QuotaStore = (*MemoryQuotaStore)(nil)

func (s *MemoryQuotaStore) account(name string) *memoryQuotaAccount {
	a := s.accounts[name]
	if a == nil {
		a = &memoryQuotaAccount{}
		s.accounts[name] = a
	}
	return a
}

// Reserve takes one call for account if every window of lim allows one no
// later than maxWait from now.
func (s *MemoryQuotaStore) Reserve(ctx context.Context, account string, maxWait time.Duration, lim QuotaLimits) (QuotaGrant, error) {
	if err := ctx.Err(); err != nil {
		return QuotaGrant{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	a := s.account(account)

	switch {
	case a.dayResetAt.IsZero():
		a.dayResetAt = nextDayReset(now, lim.DayLength)
	case !now.Before(a.dayResetAt.Add(lim.DayResetMargin)):
		// What Keap reported held for the day that ended.
		a.dayCount = 0
		a.dayLimit, a.windowLimit, a.interval = 0, 0, 0
		a.dayResetAt = nextDayReset(now, lim.DayLength)
	}
	perDay, perWindow, interval := a.tighten(lim)
	if a.dayCount >= perDay {
		return QuotaGrant{At: a.dayResetAt.Add(lim.DayResetMargin), Window: WindowDay}, nil
	}

	t := now
	if !a.lastAt.IsZero() {
		t = later(t, a.lastAt.Add(interval))
	}
	window := WindowSecond
	if perWindow > 0 {
		// Entries in (t-Window, t]; the log is sorted, so count from the end.
		n := countIn(a.log, t.Add(-lim.Window), t)
		if int64(n) >= perWindow {
			t = a.log[len(a.log)-int(perWindow)].Add(lim.Window)
			window = WindowMinute
		}
	}
	if !t.Before(a.dayResetAt.Add(-lim.DayResetMargin)) {
		// So close to the reset a call could reach Keap on either side.
		return QuotaGrant{At: a.dayResetAt.Add(lim.DayResetMargin), Window: WindowDay}, nil
	}
	if t.After(now.Add(maxWait)) {
		return QuotaGrant{At: t, Window: window}, nil
	}

	a.log = insertSorted(a.log, t, 1)
	// Drop what has left the window as of now, not as of t: a slot granted
	// in the next window must not hide the calls Keap still counts now,
	// or Observe would take them for someone else's usage.
	a.log = slices.Delete(a.log, 0, upperBound(a.log, now.Add(-lim.Window)))
	a.lastAt = t
	a.dayCount++
	return QuotaGrant{OK: true, At: t}, nil
}

// tighten returns the limits a reservation applies: lim's, tightened by
// what Keap reported (step 0 of the semantics).
func (a *memoryQuotaAccount) tighten(lim QuotaLimits) (perDay, perWindow int64, interval time.Duration) {
	perDay = DayBudget(lim, a.dayLimit)
	perWindow = lim.PerWindow
	if perWindow > 0 && a.windowLimit > 0 && a.windowLimit < perWindow {
		perWindow = a.windowLimit
	}
	interval = lim.Interval
	if interval > 0 {
		interval = max(interval, a.interval)
	}
	return perDay, perWindow, interval
}

// Observe reconciles the counts with what Keap reported at at and keeps the
// limits it reported. Reported usage only ever raises the counts.
func (s *MemoryQuotaStore) Observe(ctx context.Context, account string, at time.Time, obs QuotaObservation) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := at
	a := s.account(account)

	switch {
	case obs.DayResetAt.IsZero():
	case !obs.DayResetAt.After(now):
		// A reading of a day that is over (it was in flight across the
		// reset): nothing in it is about today.
		obs.DayUsed, obs.DayLimit = -1, -1
	case a.dayResetAt.IsZero() || !now.Before(a.dayResetAt):
		if !a.dayResetAt.IsZero() {
			a.dayLimit, a.windowLimit, a.interval = 0, 0, 0
		}
		a.dayCount = 0
		a.dayResetAt = obs.DayResetAt
	case !obs.DayResetAt.Equal(a.dayResetAt):
		a.dayResetAt = obs.DayResetAt
	}
	if obs.DayLimit > 0 {
		a.dayLimit = obs.DayLimit
	}
	if obs.WindowLimit > 0 {
		a.windowLimit = obs.WindowLimit
	}
	if obs.Interval > 0 {
		a.interval = obs.Interval
	}
	if obs.DayUsed >= 0 {
		// Calls granted after now had not left when Keap answered: its
		// count cannot hold them, and they are spent too.
		obs.DayUsed += int64(len(a.log) - upperBound(a.log, now))
	}
	if obs.DayUsed > a.dayCount {
		a.dayCount = obs.DayUsed
	}
	if obs.WindowUsed >= 0 && obs.Window > 0 {
		n := int64(countIn(a.log, now.Add(-obs.Window), now))
		if obs.WindowUsed > n {
			a.log = insertSorted(a.log, now, int(obs.WindowUsed-n))
		}
	}
	return nil
}

// Forget drops what Keap reported for account (every account when empty),
// keeping the granted slots.
func (s *MemoryQuotaStore) Forget(ctx context.Context, account string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for name, a := range s.accounts {
		if account == "" || name == account {
			a.dayCount, a.dayResetAt = 0, time.Time{}
			a.dayLimit, a.windowLimit, a.interval = 0, 0, 0
		}
	}
	return nil
}

// countIn counts the entries of sorted log in (from, to].
func countIn(log []time.Time, from, to time.Time) int {
	return upperBound(log, to) - upperBound(log, from)
}

// upperBound returns the number of entries of sorted log that are <= t.
func upperBound(log []time.Time, t time.Time) int {
	i, _ := slices.BinarySearchFunc(log, t, func(e, t time.Time) int {
		if e.After(t) {
			return 1
		}
		return -1
	})
	return i
}

// insertSorted inserts n copies of t after every entry <= t.
func insertSorted(log []time.Time, t time.Time, n int) []time.Time {
	if n <= 0 {
		return log
	}
	i := upperBound(log, t)
	return slices.Insert(log, i, slices.Repeat([]time.Time{t}, n)...)
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
