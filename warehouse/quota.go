package warehouse

import (
	"context"
	"fmt"
	"time"
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
		DayUsed    int64
		DayResetAt time.Time
		WindowUsed int64
		Window     time.Duration
	}
)

// QuotaLedger is the Postgres implementation of keap.QuotaStore: the quota
// counts of every account, shared by every goroutine, process and machine
// using the database, and kept across restarts. Reserve and Observe are
// each one statement calling a function (migration 00001) that locks the
// account's ledger row, so they are atomic whatever the number of
// connections and processes. Times are stored with microsecond precision.
// It is safe for concurrent use.
//
// The ledger's transactions commit asynchronously, which multiplies its
// throughput by four: a keapsync restart loses nothing, but a Postgres crash
// can forget the last fraction of a second of reservations.
type QuotaLedger struct {
	db  Executor
	sql *stateSQL
}

// QuotaLedger returns the ledger stored in w's state schema, reached through
// db, which should be a pool or a connection, not a transaction: each call
// must be its own (asynchronously committed) transaction.
func (w *Warehouse) QuotaLedger(db Executor) *QuotaLedger {
	return &QuotaLedger{db: db, sql: &w.state}
}

// Reserve takes one call for account if every window of lim allows one no
// later than now+maxWait; see keap.QuotaStore.
func (l *QuotaLedger) Reserve(ctx context.Context, account string, now time.Time, maxWait time.Duration, lim QuotaLimits) (QuotaGrant, error) {
	var g QuotaGrant
	var at *time.Time
	err := l.db.QueryRow(ctx, l.sql.reserve, account, now, maxWait,
		lim.Interval, lim.PerWindow, lim.Window, lim.PerDay, nullTime(lim.DayResetAt),
	).Scan(&g.OK, &at, &g.Window)
	if err != nil {
		return QuotaGrant{}, fmt.Errorf("warehouse: quota reserve %s: %w", account, err)
	}
	g.At = deref(at)
	return g, nil
}

// Observe reconciles account's counts with what Keap reported at now; see
// keap.QuotaStore. Reported usage only raises counts.
func (l *QuotaLedger) Observe(ctx context.Context, account string, now time.Time, obs QuotaObservation) error {
	_, err := l.db.Exec(ctx, l.sql.observe, account, now,
		obs.DayUsed, nullTime(obs.DayResetAt), obs.WindowUsed, obs.Window)
	if err != nil {
		return fmt.Errorf("warehouse: quota observe %s: %w", account, err)
	}
	return nil
}
