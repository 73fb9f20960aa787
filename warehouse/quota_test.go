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
	Interval:  200 * time.Millisecond,
	PerWindow: 3,
	Window:    time.Second,
	PerDay:    5,
	DayLength: time.Hour,
}

// fakeClock is a clock that moves only when told, standing in for both the
// process's and the database's clock (QuotaLedgerOptions), so the ledger's
// arithmetic is exact. (The semantics themselves are keaptest's
// QuotaStoreSuite, which package jobs runs against the ledger.)
type fakeClock struct{ ns atomic.Int64 }

func newFakeClock(t time.Time) *fakeClock {
	c := &fakeClock{}
	c.ns.Store(t.UnixNano())
	return c
}

func (c *fakeClock) Now() time.Time { return time.Unix(0, c.ns.Load()).UTC() }

func (c *fakeClock) options() warehouse.QuotaLedgerOptions {
	return warehouse.QuotaLedgerOptions{Now: c.Now, DatabaseNow: c.Now}
}

func TestQuotaLedger_DayCountSurvivesRestart(t *testing.T) {
	t.Parallel()
	b := warehousetest.New(t, 2)
	clock := newFakeClock(t0)
	lim := stepLimits
	lim.Interval, lim.PerWindow = 0, 0
	first := b.Warehouse.QuotaLedger(b.Pool, clock.options())
	for i := range 5 {
		g, err := first.Reserve(context.Background(), "a", 0, lim)
		if err != nil || !g.OK {
			t.Fatalf("reserve %d: %+v %v", i, g, err)
		}
	}
	// A new process: its own pool and Warehouse on the same schemas.
	w, err := warehouse.New(b.Config)
	if err != nil {
		t.Fatal(err)
	}
	g, err := w.QuotaLedger(warehousetest.NewPool(t, 1), clock.options()).Reserve(context.Background(), "a", time.Hour, lim)
	if err != nil {
		t.Fatal(err)
	}
	if g.OK || g.Window != "day" {
		t.Fatalf("after restart Reserve = %+v, want the day budget still spent", g)
	}
}

// skewedClock is the process's clock running skew ahead of the real one.
func skewedClock(skew time.Duration) func() time.Time {
	return func() time.Time { return time.Now().Add(skew) }
}

// TestQuotaLedger_TheDatabasesClockDecides runs two ledgers of one account
// whose processes' clocks are an hour ahead and an hour behind (on the
// database's real clock). Neither can take slots an hour ahead of the
// other, nor roll the day over early: every slot is on the database's
// timeline, and each process gets it back on its own clock.
func TestQuotaLedger_TheDatabasesClockDecides(t *testing.T) {
	t.Parallel()
	b := warehousetest.New(t, 4)
	ctx := context.Background()
	const ahead, behind = time.Hour, -time.Hour
	ledgers := map[time.Duration]*warehouse.QuotaLedger{
		ahead:  b.Warehouse.QuotaLedger(b.Pool, warehouse.QuotaLedgerOptions{Now: skewedClock(ahead)}),
		behind: b.Warehouse.QuotaLedger(warehousetest.NewPool(t, 2), warehouse.QuotaLedgerOptions{Now: skewedClock(behind)}),
	}
	// Day-long compressed days, so that the test sees a reset: a day of
	// 10 minutes, 4 calls of it.
	lim := warehouse.QuotaLimits{Interval: 50 * time.Millisecond, PerDay: 4, DayLength: 10 * time.Minute}
	// Keep clear of a day boundary, so all five reservations see one day.
	if left := 10*time.Minute - time.Since(time.Unix(0, 0))%(10*time.Minute); left < 5*time.Second {
		time.Sleep(left + 100*time.Millisecond)
	}
	var grants []time.Time // on the real clock
	var uncertainties []time.Duration
	for i := range 4 {
		skew := []time.Duration{ahead, behind}[i%2]
		g, err := ledgers[skew].Reserve(ctx, "acme", time.Second, lim)
		if err != nil || !g.OK {
			t.Fatalf("reservation %d: %+v, %v", i, g, err)
		}
		real := g.At.Add(-skew)
		if d := real.Sub(time.Now()); d < -time.Second || d > 2*time.Second {
			t.Fatalf("reservation %d (clock %+v): its slot is %v from now on the real clock", i, skew, d)
		}
		if g.Uncertainty > time.Second {
			t.Fatalf("reservation %d: uncertainty %v", i, g.Uncertainty)
		}
		grants = append(grants, real)
		uncertainties = append(uncertainties, g.Uncertainty)
	}
	for i := 1; i < len(grants); i++ {
		// Converted slots err by at most their uncertainties.
		if d := grants[i].Sub(grants[i-1]); d < 50*time.Millisecond-uncertainties[i]-uncertainties[i-1] {
			t.Fatalf("slots %d and %d are %v apart on the real clock (uncertain by %v and %v), want the 50ms spacing",
				i-1, i, d, uncertainties[i-1], uncertainties[i])
		}
	}
	// The day is spent until the database's next 10-minute boundary,
	// whichever process asks.
	now := time.Now()
	reset := time.Unix(0, 0).Add((now.Sub(time.Unix(0, 0))/(10*time.Minute) + 1) * 10 * time.Minute)
	for skew, l := range ledgers {
		g, err := l.Reserve(ctx, "acme", time.Hour, lim)
		if err != nil || g.OK || g.Window != "day" {
			t.Fatalf("clock %+v: %+v, %v; want the day spent", skew, g, err)
		}
		if d := g.At.Add(-skew).Sub(reset); d < -time.Second || d > time.Second {
			t.Fatalf("clock %+v: refused until %v on the real clock, want the database's reset %v", skew, g.At.Add(-skew), reset)
		}
	}
}

// TestQuotaLedger_ForgetKeepsTheSlots checks the operator's way out on the
// ledger itself: what Keap reported goes, the calls made stay.
func TestQuotaLedger_ForgetKeepsTheSlots(t *testing.T) {
	t.Parallel()
	b := warehousetest.New(t, 2)
	ctx := context.Background()
	clock := newFakeClock(t0)
	l := b.Warehouse.QuotaLedger(b.Pool, clock.options())
	if g, err := l.Reserve(ctx, "a", 0, stepLimits); err != nil || !g.OK {
		t.Fatalf("%+v %v", g, err)
	}
	// A hostile reading spends the day and caps it at 1.
	if err := l.Observe(ctx, "a", clock.Now(), warehouse.QuotaObservation{DayLimit: 1, DayUsed: 15000, DayResetAt: t0.Add(time.Hour), WindowLimit: 1, WindowUsed: -1}); err != nil {
		t.Fatal(err)
	}
	st, _, err := l.State(ctx, "a", time.Second)
	if err != nil || st.DayCount != 15000 || st.DayLimit != 1 || st.WindowLimit != 1 {
		t.Fatalf("state %+v, %v", st, err)
	}
	if err := l.Forget(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	st, _, err = l.State(ctx, "a", time.Second)
	if err != nil || st.DayCount != 0 || st.DayLimit != 0 || st.WindowLimit != 0 || st.WindowCount != 1 || !st.LastAt.Equal(t0) {
		t.Fatalf("after Forget: state %+v, %v; want the counts and limits gone, the slot kept", st, err)
	}
	g, err := l.Reserve(ctx, "a", time.Second, stepLimits)
	if err != nil || !g.OK || !g.At.Equal(t0.Add(200*time.Millisecond)) {
		t.Fatalf("after Forget: %+v, %v; want the next slot one interval after the kept one", g, err)
	}
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
			_, err := l.Reserve(ctx, "a", 0, stepLimits)
			return err
		}},
		{"observe", func(l *warehouse.QuotaLedger) error {
			return l.Observe(ctx, "a", ms(0), warehouse.QuotaObservation{DayLimit: 10, DayUsed: 1, WindowLimit: -1, WindowUsed: -1})
		}},
		{"forget", func(l *warehouse.QuotaLedger) error { return l.Forget(ctx, "a") }},
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
			if err := tt.call(b.Warehouse.QuotaLedger(tx, newFakeClock(t0).options())); err != nil {
				t.Fatal(err)
			}
			if v := setting(tx); v != "on" {
				t.Fatalf("after %s the transaction commits with synchronous_commit %q, want on", tt.name, v)
			}
		})
	}
}

// TestQuotaLedger_BatchTakesReservationsInOrder calls quota_reserve with
// batches of reservations on one account and with the same reservations one
// at a time on another, at the same database times: a batch must be
// exactly its calls in order.
func TestQuotaLedger_BatchTakesReservationsInOrder(t *testing.T) {
	t.Parallel()
	b := warehousetest.New(t, 2)
	ctx := context.Background()
	l := b.Warehouse.QuotaLedger(b.Pool, newFakeClock(t0).options())
	fn := pgx.Identifier{b.Config.StateSchema, "quota_reserve"}.Sanitize()
	query := "SELECT ok, at, refused_by, db_now FROM " + fn + "($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"

	rnd := rand.New(rand.NewPCG(3, 4))
	type reservation struct {
		wait, interval, window, dayLength, margin time.Duration
		perWindow, perDay, dayReserve, dayShare   int64
	}
	const batches, perBatch = 40, 5
	var (
		nows []time.Time
		res  [][]reservation
	)
	now := t0
	for range batches {
		now = now.Add(time.Duration(rnd.IntN(300)) * time.Millisecond)
		nows = append(nows, now)
		var batch []reservation
		for range perBatch {
			batch = append(batch, reservation{
				wait:       time.Duration(rnd.IntN(3)) * 200 * time.Millisecond,
				interval:   time.Duration(rnd.IntN(3)) * 20 * time.Millisecond,
				perWindow:  int64(rnd.IntN(2) * (2 + rnd.IntN(4))),
				window:     time.Second,
				perDay:     int64(30 + rnd.IntN(20)),
				dayReserve: int64(rnd.IntN(3)),
				dayShare:   []int64{0, 700, 1000}[rnd.IntN(3)],
				dayLength:  2 * time.Second,
				margin:     time.Duration(rnd.IntN(2)) * 100 * time.Millisecond,
			})
		}
		res = append(res, batch)
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
	call := func(account string, now time.Time, rs []reservation) []answer {
		t.Helper()
		cols := make([][]any, 9)
		for _, r := range rs {
			for i, v := range []any{r.wait, r.interval, r.perWindow, r.window, r.perDay, r.dayReserve, r.dayShare, r.dayLength, r.margin} {
				cols[i] = append(cols[i], v)
			}
		}
		durations := func(vs []any) []time.Duration {
			out := make([]time.Duration, len(vs))
			for i, v := range vs {
				out[i] = v.(time.Duration)
			}
			return out
		}
		ints := func(vs []any) []int64 {
			out := make([]int64, len(vs))
			for i, v := range vs {
				out[i] = v.(int64)
			}
			return out
		}
		rows, err := b.Pool.Query(ctx, query, account, now, durations(cols[0]), durations(cols[1]), ints(cols[2]), durations(cols[3]),
			ints(cols[4]), ints(cols[5]), ints(cols[6]), durations(cols[7]), durations(cols[8]))
		if err != nil {
			t.Fatal(err)
		}
		out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (answer, error) {
			var a answer
			var dbNow time.Time
			err := r.Scan(&a.OK, &a.At, &a.Window, &dbNow)
			if err == nil && !dbNow.Equal(now) {
				err = fmt.Errorf("db_now %v, want the p_now given, %v", dbNow, now)
			}
			return a, err
		})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	granted, refusedBy := 0, map[string]bool{}
	for i, rs := range res {
		batch := call("batch", nows[i], rs)
		if len(batch) != len(rs) {
			t.Fatalf("%d answers to a batch of %d", len(batch), len(rs))
		}
		for j := range rs {
			want := call("serial", nows[i], rs[j:j+1])[0]
			got := batch[j]
			if got.OK != want.OK || got.Window != want.Window || (got.At == nil) != (want.At == nil) || (got.At != nil && !got.At.Equal(*want.At)) {
				t.Fatalf("batch %d, reservation %d: in the batch %+v, alone %+v", i, j, got, want)
			}
			if got.OK {
				granted++
			} else {
				refusedBy[got.Window] = true
			}
		}
	}
	// Every path must have been taken for the comparison to mean much.
	if granted == 0 || !refusedBy["day"] || !refusedBy["second"] || !refusedBy["minute"] {
		t.Fatalf("%d of %d reservations granted, refusals by %v: the batches did not exercise every outcome", granted, batches*perBatch, refusedBy)
	}
}

// TestQuotaLedger_EndedCallerDoesNotFailOthersInItsBatch runs reservers
// whose contexts end at random moments, some while running a batch that
// holds other reservers' calls: those others must still get answers.
func TestQuotaLedger_EndedCallerDoesNotFailOthersInItsBatch(t *testing.T) {
	t.Parallel()
	b := warehousetest.New(t, 8)
	l := b.Warehouse.QuotaLedger(b.Pool, newFakeClock(t0).options())
	lim := warehouse.QuotaLimits{PerDay: 1 << 40, DayLength: time.Hour}
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
				grant, err := l.Reserve(ctx, "a", 0, lim)
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
	Interval:  time.Millisecond,
	PerWindow: 20,
	Window:    50 * time.Millisecond,
	PerDay:    300,
	DayLength: time.Hour,
}

const childEnv = "KEAPSYNC_QUOTA_CHILD_STATE_SCHEMA"

// reserveUntilDayRefuses runs n goroutines, each on its own connection,
// reserving until the day budget refuses, and returns the granted slots.
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
				g, err := l.Reserve(ctx, "shared", time.Hour, concurrentLimits)
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
		grants, err := reserveUntilDayRefuses(context.Background(), w.QuotaLedger(warehousetest.NewPool(t, 4), newFakeClock(t0).options()), 4)
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
	grants, err := reserveUntilDayRefuses(ctx, b.Warehouse.QuotaLedger(b.Pool, newFakeClock(t0).options()), 8)
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
	// The ledger's clock advances as a worker's would: each caller waits
	// until its slot, then asks again. A long wait keeps every reservation
	// granted, the costlier path (the row and its slot log are written
	// each time).
	clock := newFakeClock(t0)
	ls := []*warehouse.QuotaLedger{wb.Warehouse.QuotaLedger(wb.Pool, clock.options())}
	for range ledgers - 1 {
		w, err := warehouse.New(wb.Config)
		if err != nil {
			b.Fatal(err)
		}
		ls = append(ls, w.QuotaLedger(warehousetest.NewPool(b, int32(goroutines+2)), clock.options()))
	}
	lim := warehouse.QuotaLimits{Interval: 200 * time.Millisecond, PerWindow: 120, Window: time.Minute, PerDay: 1 << 62, DayLength: 24 * 365 * time.Hour}
	ctx := context.Background()
	// Warm up: the account's row and every connection of the pools exist
	// before the clock starts.
	var warm sync.WaitGroup
	for _, l := range ls {
		for range goroutines {
			warm.Go(func() {
				if _, err := l.Reserve(ctx, "bench", 1<<62, lim); err != nil {
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
	for _, l := range ls {
		for range goroutines {
			wg.Go(func() {
				for range next {
					g, err := l.Reserve(ctx, "bench", 1<<62, lim)
					if err != nil {
						b.Error(err)
						return
					}
					if !g.OK {
						b.Errorf("reservation refused by %s", g.Window)
						return
					}
					for {
						c := clock.ns.Load()
						if g.At.UnixNano() <= c || clock.ns.CompareAndSwap(c, g.At.UnixNano()) {
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
