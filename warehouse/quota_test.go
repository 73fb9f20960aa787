package warehouse_test

import (
	"bufio"
	"context"
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

func BenchmarkQuotaLedger(b *testing.B) {
	wb := warehousetest.New(b, 10)
	l := wb.Warehouse.QuotaLedger(wb.Pool)
	lim := warehouse.QuotaLimits{Interval: 200 * time.Millisecond, PerWindow: 120, Window: time.Minute, PerDay: 1 << 62, DayResetAt: t0.Add(24 * 365 * time.Hour)}
	ctx := context.Background()
	const goroutines = 8
	// Warm up: the account's row and every connection of the pool exist
	// before the clock starts.
	var warm sync.WaitGroup
	for range goroutines {
		warm.Add(1)
		go func() {
			defer warm.Done()
			if _, err := l.Reserve(ctx, "bench", t0, 1<<62, lim); err != nil {
				b.Error(err)
			}
		}()
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
	// granted, the costlier path (the slot log is rewritten each time).
	var clock atomic.Int64
	clock.Store(t0.UnixNano())
	for range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
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
		}()
	}
	wg.Wait()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "reserves/s")
}
