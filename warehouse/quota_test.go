package warehouse_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/keapsync/keapsync/warehouse"
	"github.com/keapsync/keapsync/warehouse/warehousetest"
)

var t0 = time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)

func ms(n int) time.Time { return t0.Add(time.Duration(n) * time.Millisecond) }

var stepLimits = warehouse.QuotaLimits{
	Interval:   200 * time.Millisecond,
	PerWindow:  3,
	Window:     time.Second,
	PerDay:     5,
	DayResetAt: t0.Add(time.Hour),
}

type reserveStep struct {
	now     time.Time
	maxWait time.Duration
	lim     warehouse.QuotaLimits
	want    warehouse.QuotaGrant
}

func runReserves(t *testing.T, l *warehouse.QuotaLedger, account string, steps []reserveStep) {
	t.Helper()
	for i, s := range steps {
		got, err := l.Reserve(context.Background(), account, s.now, s.maxWait, s.lim)
		if err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		if got.OK != s.want.OK || !got.At.Equal(s.want.At) || got.Window != s.want.Window {
			t.Fatalf("step %d: Reserve(now %s, wait %s) = %+v, want %+v", i, s.now.Format("15:04:05.000"), s.maxWait, got, s.want)
		}
	}
}

func TestQuotaLedger_ReserveFollowsEveryStepOfTheSemantics(t *testing.T) {
	t.Parallel()
	b := warehousetest.New(t, 4)
	lim := stepLimits
	noInterval := lim
	noInterval.Interval = 0
	nextDay := lim
	nextDay.DayResetAt = t0.Add(25 * time.Hour)

	tests := []struct {
		name  string
		steps []reserveStep
	}{
		{"spacing grants now then one interval later", []reserveStep{
			{ms(0), time.Second, lim, warehouse.QuotaGrant{OK: true, At: ms(0)}},
			{ms(0), time.Second, lim, warehouse.QuotaGrant{OK: true, At: ms(200)}},
			{ms(500), time.Second, lim, warehouse.QuotaGrant{OK: true, At: ms(500)}},
		}},
		{"spacing refuses past max wait and takes nothing", []reserveStep{
			{ms(0), 0, lim, warehouse.QuotaGrant{OK: true, At: ms(0)}},
			{ms(0), 100 * time.Millisecond, lim, warehouse.QuotaGrant{At: ms(200), Window: "second"}},
			{ms(0), 200 * time.Millisecond, lim, warehouse.QuotaGrant{OK: true, At: ms(200)}},
		}},
		{"zero interval spaces by the last slot only", []reserveStep{
			{ms(50), 0, noInterval, warehouse.QuotaGrant{OK: true, At: ms(50)}},
			{ms(10), time.Second, noInterval, warehouse.QuotaGrant{OK: true, At: ms(50)}},
		}},
		{"rolling window moves to the expiry of the oldest counted slot", []reserveStep{
			{ms(0), time.Second, lim, warehouse.QuotaGrant{OK: true, At: ms(0)}},
			{ms(0), time.Second, lim, warehouse.QuotaGrant{OK: true, At: ms(200)}},
			{ms(0), time.Second, lim, warehouse.QuotaGrant{OK: true, At: ms(400)}},
			{ms(0), 500 * time.Millisecond, lim, warehouse.QuotaGrant{At: ms(1000), Window: "minute"}},
			{ms(0), time.Second, lim, warehouse.QuotaGrant{OK: true, At: ms(1000)}},
			{ms(0), 2 * time.Second, lim, warehouse.QuotaGrant{OK: true, At: ms(1200)}},
		}},
		{"day budget refuses until the reset, then a new day starts", []reserveStep{
			{ms(0), 0, lim, warehouse.QuotaGrant{OK: true, At: ms(0)}},
			{ms(1000), 0, lim, warehouse.QuotaGrant{OK: true, At: ms(1000)}},
			{ms(2000), 0, lim, warehouse.QuotaGrant{OK: true, At: ms(2000)}},
			{ms(3000), 0, lim, warehouse.QuotaGrant{OK: true, At: ms(3000)}},
			{ms(4000), 0, lim, warehouse.QuotaGrant{OK: true, At: ms(4000)}},
			{ms(5000), time.Hour, lim, warehouse.QuotaGrant{At: t0.Add(time.Hour), Window: "day"}},
			{t0.Add(time.Hour), 0, nextDay, warehouse.QuotaGrant{OK: true, At: t0.Add(time.Hour)}},
		}},
		{"zero per-day refuses at once", []reserveStep{
			{ms(0), time.Hour, warehouse.QuotaLimits{PerDay: 0, DayResetAt: t0.Add(time.Hour)}, warehouse.QuotaGrant{At: t0.Add(time.Hour), Window: "day"}},
		}},
		{"unknown day reset starts a new day each call", []reserveStep{
			{ms(0), 0, warehouse.QuotaLimits{PerDay: 1}, warehouse.QuotaGrant{OK: true, At: ms(0)}},
			{ms(10), 0, warehouse.QuotaLimits{PerDay: 1}, warehouse.QuotaGrant{OK: true, At: ms(10)}},
		}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			runReserves(t, b.Warehouse.QuotaLedger(b.Pool), fmt.Sprintf("acct%d", i), tt.steps)
		})
	}
}

func TestQuotaLedger_ObserveOnlyRaisesCounts(t *testing.T) {
	t.Parallel()
	b := warehousetest.New(t, 4)
	ctx := context.Background()
	lim := stepLimits
	obs := func(dayUsed int64, reset time.Time, windowUsed int64, window time.Duration) warehouse.QuotaObservation {
		return warehouse.QuotaObservation{DayUsed: dayUsed, DayResetAt: reset, WindowUsed: windowUsed, Window: window}
	}

	tests := []struct {
		name    string
		before  []reserveStep
		observe []warehouse.QuotaObservation
		after   []reserveStep
	}{
		{"day used raises the count", nil,
			[]warehouse.QuotaObservation{obs(4, lim.DayResetAt, -1, 0)},
			[]reserveStep{
				{ms(0), 0, lim, warehouse.QuotaGrant{OK: true, At: ms(0)}},
				{ms(1000), time.Hour, lim, warehouse.QuotaGrant{At: lim.DayResetAt, Window: "day"}},
			}},
		{"a lower day used never lowers it",
			[]reserveStep{{ms(0), 0, lim, warehouse.QuotaGrant{OK: true, At: ms(0)}}, {ms(1000), 0, lim, warehouse.QuotaGrant{OK: true, At: ms(1000)}}},
			[]warehouse.QuotaObservation{obs(4, lim.DayResetAt, -1, 0), obs(1, lim.DayResetAt, -1, 0)},
			[]reserveStep{
				{ms(2000), 0, lim, warehouse.QuotaGrant{OK: true, At: ms(2000)}},
				{ms(3000), 0, lim, warehouse.QuotaGrant{At: lim.DayResetAt, Window: "day"}},
			}},
		{"a different reported reset is trusted, the count kept",
			[]reserveStep{{ms(0), 0, lim, warehouse.QuotaGrant{OK: true, At: ms(0)}}},
			[]warehouse.QuotaObservation{obs(5, lim.DayResetAt, -1, 0), obs(-1, t0.Add(2*time.Hour), -1, 0)},
			// Observed at ms(0), while the stored reset is still ahead:
			// Keap's new reset replaces it and the count stays.
			[]reserveStep{{t0.Add(90 * time.Minute), 0, lim, warehouse.QuotaGrant{At: t0.Add(2 * time.Hour), Window: "day"}}}},
		{"window used fills the rolling window", nil,
			[]warehouse.QuotaObservation{obs(-1, time.Time{}, 3, time.Second)},
			[]reserveStep{{ms(0), 2 * time.Second, lim, warehouse.QuotaGrant{OK: true, At: ms(1000)}}}},
		{"window used already counted adds nothing",
			[]reserveStep{{ms(0), 0, lim, warehouse.QuotaGrant{OK: true, At: ms(0)}}},
			[]warehouse.QuotaObservation{obs(-1, time.Time{}, 1, time.Second)},
			[]reserveStep{
				{ms(0), time.Second, lim, warehouse.QuotaGrant{OK: true, At: ms(200)}},
				{ms(0), time.Second, lim, warehouse.QuotaGrant{OK: true, At: ms(400)}},
			}},
		{"absent headers change nothing", nil,
			[]warehouse.QuotaObservation{obs(-1, time.Time{}, -1, time.Second)},
			[]reserveStep{{ms(0), 0, lim, warehouse.QuotaGrant{OK: true, At: ms(0)}}}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			l := b.Warehouse.QuotaLedger(b.Pool)
			account := fmt.Sprintf("acct%d", i)
			runReserves(t, l, account, tt.before)
			for _, o := range tt.observe {
				if err := l.Observe(ctx, account, ms(0), o); err != nil {
					t.Fatal(err)
				}
			}
			runReserves(t, l, account, tt.after)
		})
	}
}

func TestQuotaLedger_ObserveNewDayAfterStoredResetPassed(t *testing.T) {
	t.Parallel()
	b := warehousetest.New(t, 2)
	ctx := context.Background()
	l := b.Warehouse.QuotaLedger(b.Pool)
	lim := stepLimits
	lim.PerDay = 1
	runReserves(t, l, "a", []reserveStep{{ms(0), 0, lim, warehouse.QuotaGrant{OK: true, At: ms(0)}}})
	// At the stored reset Keap reports the next day's reset and 0 used.
	next := t0.Add(25 * time.Hour)
	if err := l.Observe(ctx, "a", t0.Add(time.Hour), warehouse.QuotaObservation{DayUsed: 0, DayResetAt: next, WindowUsed: -1}); err != nil {
		t.Fatal(err)
	}
	runReserves(t, l, "a", []reserveStep{
		{t0.Add(time.Hour), 0, lim, warehouse.QuotaGrant{OK: true, At: t0.Add(time.Hour)}},
		{t0.Add(2 * time.Hour), time.Hour, lim, warehouse.QuotaGrant{At: next, Window: "day"}},
	})
}

func TestQuotaLedger_DayCountSurvivesRestart(t *testing.T) {
	t.Parallel()
	b := warehousetest.New(t, 2)
	lim := stepLimits
	lim.Interval, lim.PerWindow = 0, 0
	first := b.Warehouse.QuotaLedger(b.Pool)
	for i := range 5 {
		g, err := first.Reserve(context.Background(), "a", ms(i), 0, lim)
		if err != nil || !g.OK {
			t.Fatalf("reserve %d: %+v %v", i, g, err)
		}
	}
	// A new process: its own pool and Warehouse on the same schemas.
	w, err := warehouse.New(b.Config)
	if err != nil {
		t.Fatal(err)
	}
	g, err := w.QuotaLedger(warehousetest.NewPool(t, 1)).Reserve(context.Background(), "a", ms(10), time.Hour, lim)
	if err != nil {
		t.Fatal(err)
	}
	if g.OK || g.Window != "day" {
		t.Fatalf("after restart Reserve = %+v, want the day budget still spent", g)
	}
}

func TestQuotaLedger_ReportedLimitsTightenTheCallersLimits(t *testing.T) {
	t.Parallel()
	b := warehousetest.New(t, 4)
	ctx := context.Background()
	reset := t0.Add(time.Hour)
	lim := warehouse.QuotaLimits{Interval: 100 * time.Millisecond, PerWindow: 10, Window: time.Minute, PerDay: 100, DayResetAt: reset}
	report := func(mod func(*warehouse.QuotaObservation)) warehouse.QuotaObservation {
		o := warehouse.QuotaObservation{DayLimit: -1, DayUsed: -1, WindowLimit: -1, WindowUsed: -1}
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
		obs   warehouse.QuotaObservation
		steps []reserveStep
	}{
		{"a lower reported day limit applies", report(func(o *warehouse.QuotaObservation) { o.DayLimit = 2 }), []reserveStep{
			{ms(0), 0, lim, warehouse.QuotaGrant{OK: true, At: ms(0)}},
			{ms(1000), 0, lim, warehouse.QuotaGrant{OK: true, At: ms(1000)}},
			{ms(2000), time.Hour, lim, warehouse.QuotaGrant{At: reset, Window: "day"}},
		}},
		{"the day reserve comes off the reported day limit", report(func(o *warehouse.QuotaObservation) { o.DayLimit = 2 }), []reserveStep{
			{ms(0), 0, withReserve, warehouse.QuotaGrant{OK: true, At: ms(0)}},
			{ms(1000), time.Hour, withReserve, warehouse.QuotaGrant{At: reset, Window: "day"}},
		}},
		{"a higher reported day limit does not loosen the caller's", report(func(o *warehouse.QuotaObservation) { o.DayLimit = 1000 }), []reserveStep{
			{ms(0), 0, tighter, warehouse.QuotaGrant{OK: true, At: ms(0)}},
			{ms(1000), time.Hour, tighter, warehouse.QuotaGrant{At: reset, Window: "day"}},
		}},
		{"a lower reported window limit applies", report(func(o *warehouse.QuotaObservation) { o.WindowLimit = 1 }), []reserveStep{
			{ms(0), 0, lim, warehouse.QuotaGrant{OK: true, At: ms(0)}},
			{ms(1000), time.Second, lim, warehouse.QuotaGrant{At: t0.Add(time.Minute), Window: "minute"}},
		}},
		{"a disabled window stays disabled", report(func(o *warehouse.QuotaObservation) { o.WindowLimit = 1 }), []reserveStep{
			{ms(0), 0, noWindow, warehouse.QuotaGrant{OK: true, At: ms(0)}},
			{ms(1000), 0, noWindow, warehouse.QuotaGrant{OK: true, At: ms(1000)}},
		}},
		{"a wider reported spacing applies", report(func(o *warehouse.QuotaObservation) { o.Interval = 500 * time.Millisecond }), []reserveStep{
			{ms(0), 0, lim, warehouse.QuotaGrant{OK: true, At: ms(0)}},
			{ms(0), time.Second, lim, warehouse.QuotaGrant{OK: true, At: ms(500)}},
		}},
		{"disabled spacing stays disabled", report(func(o *warehouse.QuotaObservation) { o.Interval = 500 * time.Millisecond }), []reserveStep{
			{ms(0), 0, noSpacing, warehouse.QuotaGrant{OK: true, At: ms(0)}},
			{ms(10), 0, noSpacing, warehouse.QuotaGrant{OK: true, At: ms(10)}},
		}},
		{"limits not reported change nothing", report(func(o *warehouse.QuotaObservation) { o.DayLimit, o.WindowLimit = 0, 0 }), []reserveStep{
			{ms(0), 0, lim, warehouse.QuotaGrant{OK: true, At: ms(0)}},
			{ms(0), 100 * time.Millisecond, lim, warehouse.QuotaGrant{OK: true, At: ms(100)}},
		}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			l := b.Warehouse.QuotaLedger(b.Pool)
			account := fmt.Sprintf("acct%d", i)
			if err := l.Observe(ctx, account, ms(0), tt.obs); err != nil {
				t.Fatal(err)
			}
			runReserves(t, l, account, tt.steps)
		})
	}
}

func TestQuotaLedger_LaterReportsReplaceLimits(t *testing.T) {
	t.Parallel()
	b := warehousetest.New(t, 2)
	ctx := context.Background()
	l := b.Warehouse.QuotaLedger(b.Pool)
	lim := warehouse.QuotaLimits{PerDay: 100, DayResetAt: t0.Add(time.Hour)}
	// Keap lowers the day to 1, then raises it to 3 (a plan change).
	for _, limit := range []int64{1, 3} {
		if err := l.Observe(ctx, "a", ms(0), warehouse.QuotaObservation{DayLimit: limit, DayUsed: -1, WindowLimit: -1, WindowUsed: -1}); err != nil {
			t.Fatal(err)
		}
	}
	runReserves(t, l, "a", []reserveStep{
		{ms(0), 0, lim, warehouse.QuotaGrant{OK: true, At: ms(0)}},
		{ms(1), 0, lim, warehouse.QuotaGrant{OK: true, At: ms(1)}},
		{ms(2), 0, lim, warehouse.QuotaGrant{OK: true, At: ms(2)}},
		{ms(3), time.Hour, lim, warehouse.QuotaGrant{At: lim.DayResetAt, Window: "day"}},
	})
}

func TestQuotaLedger_CommitsDurably(t *testing.T) {
	t.Parallel()
	b := warehousetest.New(t, 2)
	ctx := context.Background()
	setting := func(tx pgx.Tx) string {
		t.Helper()
		var v string
		if err := tx.QueryRow(ctx, "SELECT current_setting('synchronous_commit')").Scan(&v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	// Run each call inside a transaction of the test's, then look at the
	// setting the transaction would commit with.
	tests := []struct {
		name string
		call func(*warehouse.QuotaLedger) error
	}{
		{"reserve", func(l *warehouse.QuotaLedger) error {
			_, err := l.Reserve(ctx, "a", ms(0), 0, stepLimits)
			return err
		}},
		{"observe", func(l *warehouse.QuotaLedger) error {
			return l.Observe(ctx, "a", ms(0), warehouse.QuotaObservation{DayLimit: 10, DayUsed: 1, WindowLimit: -1, WindowUsed: -1})
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tx, err := b.Pool.Begin(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer tx.Rollback(ctx)
			if v := setting(tx); v != "on" {
				t.Fatalf("the test database commits with synchronous_commit %q: the test cannot tell", v)
			}
			if err := tt.call(b.Warehouse.QuotaLedger(tx)); err != nil {
				t.Fatal(err)
			}
			if v := setting(tx); v != "on" {
				t.Fatalf("after %s the transaction commits with synchronous_commit %q, want on", tt.name, v)
			}
		})
	}
}

// TestQuotaLedger_BatchTakesReservationsInOrder calls quota_reserve with a
// batch of reservations on one account and with the same reservations one
// at a time on another: a batch must be exactly the calls in order.
func TestQuotaLedger_BatchTakesReservationsInOrder(t *testing.T) {
	t.Parallel()
	b := warehousetest.New(t, 2)
	ctx := context.Background()
	l := b.Warehouse.QuotaLedger(b.Pool)
	fn := pgx.Identifier{b.Config.StateSchema, "quota_reserve"}.Sanitize()
	query := "SELECT ok, at, refused_by FROM " + fn + "($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"

	rnd := rand.New(rand.NewPCG(3, 4))
	const n = 200
	var (
		nows, resets                     []time.Time
		waits, intervals, windows        []time.Duration
		perWindows, perDays, dayReserves []int64
		dayShares                        []int64
	)
	now := t0
	for range n {
		now = now.Add(time.Duration(rnd.IntN(40)-5) * time.Millisecond)
		nows = append(nows, now)
		waits = append(waits, time.Duration(rnd.IntN(3))*200*time.Millisecond)
		intervals = append(intervals, time.Duration(rnd.IntN(3))*20*time.Millisecond)
		perWindows = append(perWindows, int64(rnd.IntN(2)*(2+rnd.IntN(4))))
		windows = append(windows, time.Second)
		perDays = append(perDays, int64(60+rnd.IntN(20)))
		dayReserves = append(dayReserves, int64(rnd.IntN(3)))
		dayShares = append(dayShares, []int64{0, 700, 1000}[rnd.IntN(3)])
		resets = append(resets, t0.Add(2*time.Second).Add(time.Duration(rnd.IntN(2))*2*time.Second))
	}
	for _, account := range []string{"batch", "serial"} {
		// The same report first, so the batch meets reported limits too.
		obs := warehouse.QuotaObservation{DayLimit: 70, DayUsed: 3, DayResetAt: t0.Add(2 * time.Second), WindowLimit: 4, WindowUsed: 1, Window: time.Second, Interval: 30 * time.Millisecond}
		if err := l.Observe(ctx, account, t0, obs); err != nil {
			t.Fatal(err)
		}
	}
	type answer struct {
		OK     bool
		At     *time.Time
		Window string
	}
	scan := func(rows pgx.Rows) ([]answer, error) {
		return pgx.CollectRows(rows, func(r pgx.CollectableRow) (answer, error) {
			var a answer
			err := r.Scan(&a.OK, &a.At, &a.Window)
			return a, err
		})
	}
	rows, err := b.Pool.Query(ctx, query, "batch", nows, waits, intervals, perWindows, windows, perDays, dayReserves, dayShares, resets)
	if err != nil {
		t.Fatal(err)
	}
	batch, err := scan(rows)
	if err != nil {
		t.Fatal(err)
	}
	if len(batch) != n {
		t.Fatalf("%d answers to a batch of %d", len(batch), n)
	}
	granted := 0
	for i := range n {
		rows, err := b.Pool.Query(ctx, query, "serial", nows[i:i+1], waits[i:i+1], intervals[i:i+1], perWindows[i:i+1], windows[i:i+1], perDays[i:i+1], dayReserves[i:i+1], dayShares[i:i+1], resets[i:i+1])
		if err != nil {
			t.Fatal(err)
		}
		one, err := scan(rows)
		if err != nil {
			t.Fatal(err)
		}
		got, want := batch[i], one[0]
		if got.OK != want.OK || got.Window != want.Window || (got.At == nil) != (want.At == nil) || (got.At != nil && !got.At.Equal(*want.At)) {
			t.Fatalf("reservation %d: in the batch %+v, alone %+v", i, got, want)
		}
		if got.OK {
			granted++
		}
	}
	// Every path must have been taken for the comparison to mean much.
	if granted == 0 || granted == n {
		t.Fatalf("%d of %d reservations granted: the batch did not exercise both outcomes", granted, n)
	}
}

// TestQuotaLedger_EndedCallerDoesNotFailOthersInItsBatch runs reservers
// whose contexts end at random moments, some while running a batch that
// holds other reservers' calls: those others must still get answers.
func TestQuotaLedger_EndedCallerDoesNotFailOthersInItsBatch(t *testing.T) {
	t.Parallel()
	b := warehousetest.New(t, 8)
	l := b.Warehouse.QuotaLedger(b.Pool)
	lim := warehouse.QuotaLimits{PerDay: 1 << 40, DayResetAt: t0.Add(time.Hour)}
	var wg sync.WaitGroup
	var granted atomic.Int64
	for g := range 12 {
		wg.Go(func() {
			for i := range 40 {
				timeout := time.Minute
				if g%2 == 1 {
					timeout = time.Duration(rand.IntN(2000)) * time.Microsecond
				}
				ctx, cancel := context.WithTimeout(context.Background(), timeout)
				grant, err := l.Reserve(ctx, "a", t0, 0, lim)
				cancel()
				switch {
				case err != nil && g%2 == 0:
					t.Errorf("reserver %d, call %d (context alive): %v", g, i, err)
					return
				case err != nil && !errors.Is(err, context.DeadlineExceeded):
					t.Errorf("reserver %d, call %d: %v, want the context's error", g, i, err)
					return
				case err == nil && !grant.OK:
					t.Errorf("reserver %d, call %d refused: %+v", g, i, grant)
					return
				case err == nil:
					granted.Add(1)
				}
			}
		})
	}
	wg.Wait()
	if granted.Load() < 6*40 {
		t.Fatalf("%d grants, fewer than the %d of the reservers whose contexts never end", granted.Load(), 6*40)
	}
}

// Concurrency test parameters, shared with the child process.
var concurrentLimits = warehouse.QuotaLimits{
	Interval:   time.Millisecond,
	PerWindow:  20,
	Window:     50 * time.Millisecond,
	PerDay:     300,
	DayResetAt: t0.Add(time.Hour),
}

const childEnv = "KEAPSYNC_QUOTA_CHILD_STATE_SCHEMA"

// reserveUntilDayRefuses runs n goroutines, each on its own connection,
// reserving until the day budget refuses, and returns the granted slots.
// Each goroutine's clock is a little off (now within 10ms of t0), as
// different machines' clocks would be.
func reserveUntilDayRefuses(ctx context.Context, l *warehouse.QuotaLedger, n int) ([]time.Time, error) {
	var (
		mu     sync.Mutex
		grants []time.Time
		wg     sync.WaitGroup
		errs   = make(chan error, n)
	)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				now := t0.Add(time.Duration(rand.IntN(10_000)) * time.Microsecond)
				g, err := l.Reserve(ctx, "shared", now, time.Hour, concurrentLimits)
				if err != nil {
					errs <- err
					return
				}
				if !g.OK {
					if g.Window != "day" {
						errs <- fmt.Errorf("refused by %s with an hour to wait", g.Window)
					}
					return
				}
				mu.Lock()
				grants = append(grants, g.At)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	close(errs)
	return grants, <-errs
}

func TestQuotaLedger_ConcurrentReserversAcrossProcessesNeverExceedLimits(t *testing.T) {
	if schema := os.Getenv(childEnv); schema != "" {
		// The child process: reserve against the parent's ledger and
		// print every grant.
		w, err := warehouse.New(warehouse.Config{DataSchema: "unused", StateSchema: schema})
		if err != nil {
			t.Fatal(err)
		}
		grants, err := reserveUntilDayRefuses(context.Background(), w.QuotaLedger(warehousetest.NewPool(t, 4)), 4)
		if err != nil {
			t.Fatal(err)
		}
		for _, g := range grants {
			fmt.Printf("GRANT %s\n", g.Format(time.RFC3339Nano))
		}
		return
	}
	t.Parallel()
	b := warehousetest.New(t, 8)
	ctx := context.Background()

	child := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestQuotaLedger_ConcurrentReserversAcrossProcessesNeverExceedLimits$", "-test.count=1")
	child.Env = append(os.Environ(), childEnv+"="+b.Config.StateSchema)
	var out strings.Builder
	child.Stdout, child.Stderr = &out, &out
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	grants, err := reserveUntilDayRefuses(ctx, b.Warehouse.QuotaLedger(b.Pool), 8)
	if err != nil {
		t.Fatal(err)
	}
	if err := child.Wait(); err != nil {
		t.Fatalf("child process: %v\n%s", err, out.String())
	}
	childGrants := 0
	sc := bufio.NewScanner(strings.NewReader(out.String()))
	for sc.Scan() {
		if s, ok := strings.CutPrefix(sc.Text(), "GRANT "); ok {
			g, err := time.Parse(time.RFC3339Nano, s)
			if err != nil {
				t.Fatal(err)
			}
			grants = append(grants, g)
			childGrants++
		}
	}
	t.Logf("parent granted %d, child process %d", len(grants)-childGrants, childGrants)

	lim := concurrentLimits
	if int64(len(grants)) != lim.PerDay {
		t.Fatalf("%d grants in total, want exactly the day's %d", len(grants), lim.PerDay)
	}
	slices.SortFunc(grants, func(a, b time.Time) int { return a.Compare(b) })
	for i := 1; i < len(grants); i++ {
		if d := grants[i].Sub(grants[i-1]); d < lim.Interval {
			t.Fatalf("grants %d and %d are %s apart, less than the %s interval", i-1, i, d, lim.Interval)
		}
	}
	for i := int(lim.PerWindow); i < len(grants); i++ {
		if d := grants[i].Sub(grants[i-int(lim.PerWindow)]); d < lim.Window {
			t.Fatalf("%d grants within %s (from %s to %s), limit %d per %s",
				lim.PerWindow+1, d, grants[i-int(lim.PerWindow)].Format(time.StampMicro), grants[i].Format(time.StampMicro), lim.PerWindow, lim.Window)
		}
	}
}

// BenchmarkQuotaLedger measures durable reservations for one account: 8
// goroutines on one ledger (one process, its calls batched), 1 goroutine
// (no batching: a commit and its WAL flush per reservation), and 2 ledgers
// on their own pools with 4 goroutines each (two processes contending for
// the account's row).
func BenchmarkQuotaLedger(b *testing.B) {
	for _, bc := range []struct {
		name                string
		ledgers, goroutines int
	}{
		{"goroutines=8", 1, 8},
		{"goroutines=1", 1, 1},
		{"processes=2", 2, 4},
	} {
		b.Run(bc.name, func(b *testing.B) {
			benchmarkQuotaLedger(b, bc.ledgers, bc.goroutines)
		})
	}
}

func benchmarkQuotaLedger(b *testing.B, ledgers, goroutines int) {
	wb := warehousetest.New(b, int32(goroutines+2))
	ls := []*warehouse.QuotaLedger{wb.Warehouse.QuotaLedger(wb.Pool)}
	for range ledgers - 1 {
		w, err := warehouse.New(wb.Config)
		if err != nil {
			b.Fatal(err)
		}
		ls = append(ls, w.QuotaLedger(warehousetest.NewPool(b, int32(goroutines+2))))
	}
	lim := warehouse.QuotaLimits{Interval: 200 * time.Millisecond, PerWindow: 120, Window: time.Minute, PerDay: 1 << 62, DayResetAt: t0.Add(24 * 365 * time.Hour)}
	ctx := context.Background()
	// Warm up: the account's row and every connection of the pools exist
	// before the clock starts.
	var warm sync.WaitGroup
	for _, l := range ls {
		for range goroutines {
			warm.Go(func() {
				if _, err := l.Reserve(ctx, "bench", t0, 1<<62, lim); err != nil {
					b.Error(err)
				}
			})
		}
	}
	warm.Wait()
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	var next = make(chan struct{}, b.N)
	for range b.N {
		next <- struct{}{}
	}
	close(next)
	// The ledger's clock advances as a worker's would: each caller waits
	// until its slot, then asks again. A long wait keeps every reservation
	// granted, the costlier path (the row and its slot log are written
	// each time).
	var clock atomic.Int64
	clock.Store(t0.UnixNano())
	for _, l := range ls {
		for range goroutines {
			wg.Go(func() {
				for range next {
					g, err := l.Reserve(ctx, "bench", time.Unix(0, clock.Load()), 1<<62, lim)
					if err != nil {
						b.Error(err)
						return
					}
					if !g.OK {
						b.Errorf("reservation refused by %s", g.Window)
						return
					}
					for {
						c := clock.Load()
						if g.At.UnixNano() <= c || clock.CompareAndSwap(c, g.At.UnixNano()) {
							break
						}
					}
				}
			})
		}
	}
	wg.Wait()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "reserves/s")
}
