package warehouse

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// QuotaLimits, QuotaGrant and QuotaObservation are identical to the types of
// the same names in package keap (aliases of the same unnamed structs, same
// fields, types and order), so QuotaLedger implements keap.QuotaStore
// without this package importing keap. See keap/quotastore.go for the
// meaning of each field; change them only together.
type (
	// QuotaLimits is what a reservation must respect (keap.QuotaLimits).
	QuotaLimits = struct {
		Interval       time.Duration
		PerWindow      int64
		Window         time.Duration
		PerDay         int64
		DayReserve     int64
		DayShare       int64
		DayLength      time.Duration
		DayResetMargin time.Duration
	}

	// QuotaGrant is the answer to a reservation (keap.QuotaGrant).
	QuotaGrant = struct {
		OK          bool
		At          time.Time
		Uncertainty time.Duration
		Window      string
	}

	// QuotaObservation is what Keap reported (keap.QuotaObservation).
	QuotaObservation = struct {
		DayLimit    int64
		DayUsed     int64
		DayResetAt  time.Time
		WindowLimit int64
		WindowUsed  int64
		Window      time.Duration
		Interval    time.Duration
	}
)

// QuotaLedger is the Postgres implementation of keap.QuotaStore: the quota
// counts of every account and the limits Keap reported for it today, shared
// by every goroutine, process and machine using the database, and kept
// across restarts. Reserve and Observe each run one statement calling a
// function (migration 00008) that locks the account's ledger row, so they
// are atomic whatever the number of connections and processes. Times and
// durations are stored with microsecond precision. It is safe for
// concurrent use.
//
// The ledger's clock is the database's: every slot, window and day
// rollover is decided on it, so processes whose clocks disagree (on other
// machines, or skewed) still share one timeline, and none can take slots
// ahead of the others. Each reservation's statement returns the database's
// time; from the round trip the ledger learns the offset between that clock
// and its process's (see clockOffset), converts each grant to the
// process's clock, and reports the conversion's uncertainty with it.
//
// Every call commits durably (with the session's synchronous_commit, on by
// default): a granted call survives a Postgres crash, as Keap may count it.
// The row lock is held until the commit's WAL flush, so one account's
// commits are bounded by the disk's flush rate. Reserve therefore batches:
// the reservations this ledger receives for an account while one of its
// statements runs go together in the next, taken in order in one
// transaction and one flush, exactly as they would be one after the other.
// Share one QuotaLedger among a process's clients so their reservations
// batch together.
type QuotaLedger struct {
	db     Executor
	sql    *stateSQL
	local  func() time.Time
	dbNow  func() time.Time // nil: the database's own clock
	offset clockOffset

	mu     sync.Mutex
	queues map[string]*reserveQueue // by account
}

// QuotaLedgerOptions configure a QuotaLedger's clocks. The zero value is
// production's: the process's clock and the database's.
type QuotaLedgerOptions struct {
	// Now is the clock of the process using the ledger (its keap clients'
	// clock): grants come back on it, and Observe's times are read on it.
	// Default time.Now.
	Now func() time.Time

	// DatabaseNow, when set, stands in for the database's clock
	// (clock_timestamp()): tests of quota arithmetic set it, with Now, to
	// one fake clock. Default nil: the database's own clock.
	DatabaseNow func() time.Time
}

// QuotaLedger returns the ledger stored in w's state schema, reached through
// db, which should be a pool or a connection, not a transaction: each call
// must be its own transaction, so the account's row is locked no longer
// than one statement.
func (w *Warehouse) QuotaLedger(db Executor, opts QuotaLedgerOptions) *QuotaLedger {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &QuotaLedger{db: db, sql: &w.state, local: opts.Now, dbNow: opts.DatabaseNow}
}

// databaseNow is the p_now argument of the ledger's functions: NULL (the
// database's clock) unless a stand-in is configured.
func (l *QuotaLedger) databaseNow() *time.Time {
	if l.dbNow == nil {
		return nil
	}
	t := l.dbNow()
	return &t
}

// reserveQueue holds one account's reservations waiting for a statement.
// Whoever holds turn runs every pending reservation in one statement.
type reserveQueue struct {
	turn    chan struct{} // capacity 1: full while a batch runs
	mu      sync.Mutex
	pending []*pendingReserve
}

// pendingReserve is one Reserve call waiting for its result.
type pendingReserve struct {
	maxWait time.Duration
	lim     QuotaLimits
	done    chan reserveResult // capacity 1, so delivering never blocks
}

// reserveResult answers a pendingReserve. again means its batch was
// abandoned when the context of the call running it ended: the reservation
// must be queued again.
type reserveResult struct {
	grant QuotaGrant
	err   error
	again bool
}

func (l *QuotaLedger) queue(account string) *reserveQueue {
	l.mu.Lock()
	defer l.mu.Unlock()
	q := l.queues[account]
	if q == nil {
		if l.queues == nil {
			l.queues = make(map[string]*reserveQueue)
		}
		q = &reserveQueue{turn: make(chan struct{}, 1)}
		l.queues[account] = q
	}
	return q
}

func (q *reserveQueue) push(p *pendingReserve) {
	q.mu.Lock()
	q.pending = append(q.pending, p)
	q.mu.Unlock()
}

// remove takes p out of the queue, reporting false if a batch already took it.
func (q *reserveQueue) remove(p *pendingReserve) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	i := slices.Index(q.pending, p)
	if i < 0 {
		return false
	}
	q.pending = slices.Delete(q.pending, i, i+1)
	return true
}

func (q *reserveQueue) takeAll() []*pendingReserve {
	q.mu.Lock()
	defer q.mu.Unlock()
	batch := q.pending
	q.pending = nil
	return batch
}

// Reserve takes one call for account if every window of lim allows one no
// later than maxWait from now, on the database's clock; see
// keap.QuotaStore. The grant's At is converted to the process's clock. If
// ctx ends while the call is already in a running batch, Reserve returns at
// once and the call may still be counted: counting a call that is not made
// only wastes it.
func (l *QuotaLedger) Reserve(ctx context.Context, account string, maxWait time.Duration, lim QuotaLimits) (QuotaGrant, error) {
	q := l.queue(account)
	p := &pendingReserve{maxWait: maxWait, lim: lim, done: make(chan reserveResult, 1)}
	q.push(p)
	for {
		select {
		case res := <-p.done:
			if !res.again {
				return res.grant, res.err
			}
			q.push(p)
		case q.turn <- struct{}{}:
			// Everything pending runs now, p included unless an earlier
			// batch took it: either way p's result is ready afterwards.
			if ctx.Err() == nil {
				l.runBatch(ctx, account, q.takeAll())
			}
			<-q.turn
		case <-ctx.Done():
			q.remove(p)
			return QuotaGrant{}, fmt.Errorf("warehouse: quota reserve %s: %w", account, ctx.Err())
		}
	}
}

// runBatch takes batch's reservations in one statement and delivers each
// result.
func (l *QuotaLedger) runBatch(ctx context.Context, account string, batch []*pendingReserve) {
	if len(batch) == 0 {
		return
	}
	grants, err := l.reserveBatch(ctx, account, batch)
	for i, p := range batch {
		switch {
		case err == nil:
			p.done <- reserveResult{grant: grants[i]}
		case ctx.Err() != nil:
			// This call's context ended the statement; the others' may
			// still be alive and try again.
			p.done <- reserveResult{again: true}
		default:
			p.done <- reserveResult{err: err}
		}
	}
}

func (l *QuotaLedger) reserveBatch(ctx context.Context, account string, batch []*pendingReserve) ([]QuotaGrant, error) {
	var (
		waits, intervals, windows        = make([]time.Duration, len(batch)), make([]time.Duration, len(batch)), make([]time.Duration, len(batch))
		perWindows, perDays, dayReserves = make([]int64, len(batch)), make([]int64, len(batch)), make([]int64, len(batch))
		dayShares                        = make([]int64, len(batch))
		dayLengths, dayMargins           = make([]time.Duration, len(batch)), make([]time.Duration, len(batch))
	)
	for i, p := range batch {
		waits[i] = p.maxWait
		intervals[i], perWindows[i], windows[i] = p.lim.Interval, p.lim.PerWindow, p.lim.Window
		perDays[i], dayReserves[i], dayShares[i] = p.lim.PerDay, p.lim.DayReserve, p.lim.DayShare
		dayLengths[i], dayMargins[i] = p.lim.DayLength, p.lim.DayResetMargin
	}
	sent := l.local()
	rows, err := l.db.Query(ctx, l.sql.reserve, account, l.databaseNow(), waits, intervals, perWindows, windows,
		perDays, dayReserves, dayShares, dayLengths, dayMargins)
	if err != nil {
		return nil, fmt.Errorf("warehouse: quota reserve %s: %w", account, err)
	}
	grants := make([]QuotaGrant, 0, len(batch))
	var dbNow time.Time
	for rows.Next() {
		var g QuotaGrant
		var at *time.Time
		if err := rows.Scan(&g.OK, &at, &g.Window, &dbNow); err != nil {
			rows.Close()
			return nil, fmt.Errorf("warehouse: quota reserve %s: %w", account, err)
		}
		g.At = deref(at)
		grants = append(grants, g)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("warehouse: quota reserve %s: %w", account, err)
	}
	if len(grants) != len(batch) {
		return nil, fmt.Errorf("warehouse: quota reserve %s: %d answers to %d reservations", account, len(grants), len(batch))
	}
	l.offset.sample(sent, dbNow, l.local())
	for i := range grants {
		grants[i].At, grants[i].Uncertainty = l.offset.toLocal(grants[i].At)
	}
	return grants, nil
}

// Observe reconciles account's counts with what Keap reported at now and
// keeps the limits it reported; see keap.QuotaStore. Reported usage only
// raises counts.
func (l *QuotaLedger) Observe(ctx context.Context, account string, at time.Time, obs QuotaObservation) error {
	at, err := l.toDatabase(ctx, at)
	if err != nil {
		return fmt.Errorf("warehouse: quota observe %s: %w", account, err)
	}
	_, err = l.db.Exec(ctx, l.sql.observe, account, at,
		obs.DayLimit, obs.DayUsed, nullTime(obs.DayResetAt),
		obs.WindowLimit, obs.WindowUsed, obs.Window, obs.Interval)
	if err != nil {
		return fmt.Errorf("warehouse: quota observe %s: %w", account, err)
	}
	return nil
}

// toDatabase converts a time on the process's clock to the database's,
// measuring the offset first if no reservation has yet.
func (l *QuotaLedger) toDatabase(ctx context.Context, at time.Time) (time.Time, error) {
	if !l.offset.known() {
		sent := l.local()
		var dbNow time.Time
		if err := l.db.QueryRow(ctx, "SELECT coalesce($1::timestamptz, clock_timestamp())", l.databaseNow()).Scan(&dbNow); err != nil {
			return time.Time{}, err
		}
		l.offset.sample(sent, dbNow, l.local())
	}
	return l.offset.toDatabase(at), nil
}

// Forget drops what Keap reported for account (every account when empty):
// the limits, the day's reset and count. The slots granted stay, so calls
// already made keep their spacing and window.
func (l *QuotaLedger) Forget(ctx context.Context, account string) error {
	if _, err := l.db.Exec(ctx, l.sql.quotaForget, account); err != nil {
		return fmt.Errorf("warehouse: quota forget %q: %w", account, err)
	}
	return nil
}

// QuotaState is what the ledger holds for one account, for status displays
// and metrics.
type QuotaState struct {
	// DayCount counts the calls of the day ending at DayResetAt (on the
	// database's clock); both are zero once that time has passed, and
	// DayResetAt when unknown.
	DayCount   int64
	DayResetAt time.Time
	// DayLimit and WindowLimit are the limits Keap last reported, 0 when
	// it never did.
	DayLimit, WindowLimit int64
	// WindowCount counts the calls in the rolling window before now.
	WindowCount int64
	// LastAt is the last granted call slot.
	LastAt time.Time
}

// State returns account's row of the ledger as of now on the database's
// clock (window: the length of the rolling window to count), and false if
// the account has none yet. Its times are the database's.
func (l *QuotaLedger) State(ctx context.Context, account string, window time.Duration) (QuotaState, bool, error) {
	var (
		st                    QuotaState
		reset, last           *time.Time
		dayLimit, windowLimit *int64
		now                   time.Time
	)
	err := l.db.QueryRow(ctx, l.sql.quotaState, account, l.databaseNow(), window).
		Scan(&st.DayCount, &reset, &dayLimit, &windowLimit, &st.WindowCount, &last, &now)
	if errors.Is(err, pgx.ErrNoRows) {
		return QuotaState{}, false, nil
	}
	if err != nil {
		return QuotaState{}, false, fmt.Errorf("warehouse: quota state of %s: %w", account, err)
	}
	st.DayResetAt, st.LastAt = utc(reset), utc(last)
	st.DayLimit, st.WindowLimit = deref(dayLimit), deref(windowLimit)
	if !st.DayResetAt.IsZero() && !now.Before(st.DayResetAt) {
		// That day is over; the next one has not been counted yet.
		st.DayCount, st.DayResetAt = 0, time.Time{}
	}
	return st, true, nil
}

// clockOffset tracks the offset between the database's clock and the
// process's, as NTP clients do: each statement that returns the database's
// time, sent at t0 and answered at t1 on the process's clock, says the
// database's clock read dbNow at some instant in [t0, t1], so the offset is
// dbNow-(t0+t1)/2 within (t1-t0)/2. The tightest measurement is kept, its
// uncertainty growing at maxDrift with age (the two clocks' rates may
// differ that much), until a tighter one comes or one that contradicts it
// (a clock was stepped) replaces it. Local times keep Go's monotonic
// reading where the clock gives one, so a step of the process's wall clock
// does not move converted slots.
type clockOffset struct {
	mu          sync.Mutex
	ok          bool
	ref         time.Time     // a local instant (the midpoint of a round trip)
	refDB       time.Time     // the database's clock at ref
	uncertainty time.Duration // of refDB at ref
}

// maxDrift bounds how fast the two clocks may drift apart: 500 ppm, the
// fastest that NTP daemons slew a clock by default.
const maxDrift = 500e-6

func (o *clockOffset) known() bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.ok
}

// grownLocked is the uncertainty of the kept measurement at local time now.
func (o *clockOffset) grownLocked(now time.Time) time.Duration {
	age := now.Sub(o.ref)
	if age < 0 {
		age = -age
	}
	return o.uncertainty + time.Duration(float64(age)*maxDrift)
}

// sample takes one round trip's measurement.
func (o *clockOffset) sample(t0, dbNow, t1 time.Time) {
	rtt := max(t1.Sub(t0), 0)
	mid, unc := t0.Add(rtt/2), rtt/2
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.ok {
		grown := o.grownLocked(mid)
		predicted := o.refDB.Add(mid.Sub(o.ref))
		diff := dbNow.Sub(predicted)
		if diff < 0 {
			diff = -diff
		}
		if unc > grown && diff <= unc+grown {
			return // the kept measurement is tighter, and agrees
		}
	}
	o.ok, o.ref, o.refDB, o.uncertainty = true, mid, dbNow, unc
}

// toLocal converts a database time to the process's clock and says within
// how much.
func (o *clockOffset) toLocal(db time.Time) (time.Time, time.Duration) {
	if db.IsZero() {
		return db, 0
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	local := o.ref.Add(db.Sub(o.refDB))
	return local, o.grownLocked(local)
}

// toDatabase converts a time on the process's clock to the database's.
func (o *clockOffset) toDatabase(local time.Time) time.Time {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.refDB.Add(local.Sub(o.ref)).UTC()
}
