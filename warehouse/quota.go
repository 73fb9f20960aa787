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
		Interval   time.Duration
		PerWindow  int64
		Window     time.Duration
		PerDay     int64
		DayReserve int64
		DayShare   int64
		DayResetAt time.Time
	}

	// QuotaGrant is the answer to a reservation (keap.QuotaGrant).
	QuotaGrant = struct {
		OK     bool
		At     time.Time
		Window string
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
// counts of every account and the limits Keap last reported for it, shared
// by every goroutine, process and machine using the database, and kept
// across restarts. Reserve and Observe each run one statement calling a
// function (migration 00005) that locks the account's ledger row, so they
// are atomic whatever the number of connections and processes. Times and
// durations are stored with microsecond precision. It is safe for
// concurrent use.
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
	db  Executor
	sql *stateSQL

	mu     sync.Mutex
	queues map[string]*reserveQueue // by account
}

// QuotaLedger returns the ledger stored in w's state schema, reached through
// db, which should be a pool or a connection, not a transaction: each call
// must be its own transaction, so the account's row is locked no longer
// than one statement.
func (w *Warehouse) QuotaLedger(db Executor) *QuotaLedger {
	return &QuotaLedger{db: db, sql: &w.state}
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
	now     time.Time
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
// later than now+maxWait; see keap.QuotaStore. If ctx ends while the call
// is already in a running batch, Reserve returns at once and the call may
// still be counted: counting a call that is not made only wastes it.
func (l *QuotaLedger) Reserve(ctx context.Context, account string, now time.Time, maxWait time.Duration, lim QuotaLimits) (QuotaGrant, error) {
	q := l.queue(account)
	p := &pendingReserve{now: now, maxWait: maxWait, lim: lim, done: make(chan reserveResult, 1)}
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
		nows, resets                     = make([]time.Time, len(batch)), make([]*time.Time, len(batch))
		waits, intervals, windows        = make([]time.Duration, len(batch)), make([]time.Duration, len(batch)), make([]time.Duration, len(batch))
		perWindows, perDays, dayReserves = make([]int64, len(batch)), make([]int64, len(batch)), make([]int64, len(batch))
		dayShares                        = make([]int64, len(batch))
	)
	for i, p := range batch {
		nows[i], waits[i] = p.now, p.maxWait
		intervals[i], perWindows[i], windows[i] = p.lim.Interval, p.lim.PerWindow, p.lim.Window
		perDays[i], dayReserves[i], dayShares[i] = p.lim.PerDay, p.lim.DayReserve, p.lim.DayShare
		if !p.lim.DayResetAt.IsZero() {
			resets[i] = &p.lim.DayResetAt
		}
	}
	rows, err := l.db.Query(ctx, l.sql.reserve, account, nows, waits, intervals, perWindows, windows, perDays, dayReserves, dayShares, resets)
	if err != nil {
		return nil, fmt.Errorf("warehouse: quota reserve %s: %w", account, err)
	}
	grants := make([]QuotaGrant, 0, len(batch))
	for rows.Next() {
		var g QuotaGrant
		var at *time.Time
		if err := rows.Scan(&g.OK, &at, &g.Window); err != nil {
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
	return grants, nil
}

// Observe reconciles account's counts with what Keap reported at now and
// keeps the limits it reported; see keap.QuotaStore. Reported usage only
// raises counts.
func (l *QuotaLedger) Observe(ctx context.Context, account string, now time.Time, obs QuotaObservation) error {
	_, err := l.db.Exec(ctx, l.sql.observe, account, now,
		obs.DayLimit, obs.DayUsed, nullTime(obs.DayResetAt),
		obs.WindowLimit, obs.WindowUsed, obs.Window, obs.Interval)
	if err != nil {
		return fmt.Errorf("warehouse: quota observe %s: %w", account, err)
	}
	return nil
}

// QuotaState is what the ledger holds for one account, for status displays
// and metrics.
type QuotaState struct {
	// DayCount counts the calls of the day ending at DayResetAt (zero once
	// that time has passed); DayResetAt is zero when unknown.
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

// State returns account's row of the ledger as of now (window: the length
// of the rolling window to count), and false if the account has none yet.
func (l *QuotaLedger) State(ctx context.Context, account string, now time.Time, window time.Duration) (QuotaState, bool, error) {
	var (
		st                    QuotaState
		reset, last           *time.Time
		dayLimit, windowLimit *int64
	)
	err := l.db.QueryRow(ctx, l.sql.quotaState, account, now, window).
		Scan(&st.DayCount, &reset, &dayLimit, &windowLimit, &st.WindowCount, &last)
	if errors.Is(err, pgx.ErrNoRows) {
		return QuotaState{}, false, nil
	}
	if err != nil {
		return QuotaState{}, false, fmt.Errorf("warehouse: quota state of %s: %w", account, err)
	}
	st.DayResetAt, st.LastAt = utc(reset), utc(last)
	st.DayLimit, st.WindowLimit = deref(dayLimit), deref(windowLimit)
	if !st.DayResetAt.IsZero() && !now.Before(st.DayResetAt) {
		st.DayCount = 0
	}
	return st, true, nil
}
