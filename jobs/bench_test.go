package jobs_test

import (
	"context"
	"os"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/keapsync/keapsync/jobs"
	"github.com/keapsync/keapsync/keap"
	"github.com/keapsync/keapsync/keap/keapsim"
	"github.com/keapsync/keapsync/warehouse"
)

// benchContacts is the tenant size of the sync benchmarks:
// KEAPSYNC_BENCH_CONTACTS, else def.
func benchContacts(b *testing.B, def int) int {
	if v := os.Getenv("KEAPSYNC_BENCH_CONTACTS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			b.Fatalf("KEAPSYNC_BENCH_CONTACTS=%q: want a positive number", v)
		}
		return n
	}
	return def
}

// minimumPages is the fewest calls that read every stream of sim whole:
// one per full or partial page, one per one-call list (custom-field
// models, lookups).
func minimumPages(b *testing.B, sim *keapsim.Server) int64 {
	var n int64
	for _, s := range keap.Streams {
		if s.Mode == keap.ModeSingle {
			n++
			continue
		}
		live, err := sim.Live(s.Name)
		if err != nil {
			b.Fatal(err)
		}
		size := s.MaxPageSize
		n += int64(max(1, (live+size-1)/size))
	}
	return n
}

// heapSampler records the peak of the live heap while it runs.
type heapSampler struct {
	peak atomic.Uint64
	stop chan struct{}
	done chan struct{}
}

func sampleHeap(every time.Duration) *heapSampler {
	h := &heapSampler{stop: make(chan struct{}), done: make(chan struct{})}
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	go func() {
		defer close(h.done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			metrics.Read(sample)
			if v := sample[0].Value.Uint64(); v > h.peak.Load() {
				h.peak.Store(v)
			}
			select {
			case <-h.stop:
				return
			case <-t.C:
			}
		}
	}()
	return h
}

func (h *heapSampler) Stop() float64 {
	close(h.stop)
	<-h.done
	return float64(h.peak.Load()) / (1 << 20)
}

// BenchmarkFullSync syncs a whole tenant (KEAPSYNC_BENCH_CONTACTS contacts,
// default 100,000, every stream scaled with them) from an unthrottled
// simulator over HTTP into the warehouse, and reports records/s, call_ratio
// (API calls / the simulator's minimum pages) and peak_heap_mb (the live
// heap of this process, simulator included). Run it with
//
//	go test -run '^$' -bench BenchmarkFullSync -benchtime=1x ./jobs/
func BenchmarkFullSync(b *testing.B) {
	contacts := benchContacts(b, 100_000)
	for range b.N {
		b.StopTimer()
		runtime.GC()
		e := setup(b, []testAccount{unthrottled("bench", contacts)}, func(c *jobs.Config) { c.Workers, c.PageSize = 4, 0 })
		sim := e.sims["bench"]
		minPages := minimumPages(b, sim)
		var records int64
		for _, s := range keap.Streams {
			if n, err := sim.Live(s.Name); err == nil {
				records += int64(n)
			}
		}
		runtime.GC()
		heap := sampleHeap(20 * time.Millisecond)
		b.StartTimer()
		start := time.Now()
		e.start()
		runs := e.sync(jobs.SyncRequest{}, 30*time.Minute)
		elapsed := time.Since(start)
		b.StopTimer()
		peak := heap.Stop()
		var calls int64
		for _, r := range runs {
			if r.Status != warehouse.RunSucceeded {
				b.Fatalf("run %s ended %s: %s", r.Stream, r.Status, r.LastError)
			}
			calls += r.APICalls
		}
		if st := sim.Stats(); st.Accepted != calls {
			b.Logf("the simulator served %d requests, the runs counted %d calls", st.Accepted, calls)
		}
		calls = sim.Stats().Accepted
		b.ReportMetric(float64(records)/elapsed.Seconds(), "records/s")
		b.ReportMetric(float64(calls)/float64(minPages), "call_ratio")
		b.ReportMetric(peak, "peak_heap_mb")
		if rss, ok := peakRSS(); ok {
			b.ReportMetric(rss, "peak_rss_mb")
		}
		b.Logf("%d contacts: %d records in %s, %d calls for %d minimum pages", contacts, records, elapsed.Round(time.Millisecond), calls, minPages)
	}
}

// peakRSS is the process's peak resident set size in MB (VmHWM), when the
// system reports it.
func peakRSS() (float64, bool) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, false
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			f := strings.Fields(rest)
			if len(f) == 2 && f[1] == "kB" {
				kb, err := strconv.ParseFloat(f[0], 64)
				return kb / 1024, err == nil
			}
		}
	}
	return 0, false
}

// quotaMinimum is the least time a quota of perSecond calls a second and
// perMinute in any rolling minute lets n calls take.
func quotaMinimum(n int64, perSecond, perMinute int) time.Duration {
	if n <= 1 {
		return 0
	}
	var t time.Duration
	spacing := time.Second / time.Duration(perSecond)
	var slots []time.Duration // granted call times
	for i := int64(0); i < n; i++ {
		if i > 0 {
			t = max(t, slots[i-1]+spacing)
		}
		if int(i) >= perMinute {
			t = max(t, slots[int(i)-perMinute]+time.Minute)
		}
		slots = append(slots, t)
	}
	return slots[n-1]
}

// BenchmarkBackfillLatency syncs a 200,000-contact tenant (or
// KEAPSYNC_BENCH_CONTACTS) from a simulator at Keap's default quota (5/s,
// 120/min) that delays every response by a second, as a slow Keap does, and
// reports quota_efficiency: the least time the quota allows for the calls
// made, over the time taken. 1 means the quota, not latency, set the pace.
//
//	go test -run '^$' -bench BenchmarkBackfillLatency -benchtime=1x -timeout 30m ./jobs/
func BenchmarkBackfillLatency(b *testing.B) {
	contacts := benchContacts(b, 200_000)
	const perSecond, perMinute = 5, 120
	for range b.N {
		b.StopTimer()
		acct := testAccount{
			name: "bench",
			sim: keapsim.Options{Contacts: contacts, PerSecond: perSecond, PerMinute: perMinute, PerDay: -1, TenantPerMinute: -1,
				Faults: []keapsim.Fault{{Kind: keapsim.FaultSlow, Probability: 1, Delay: time.Second}}},
			quota: keap.QuotaConfig{PerSecond: perSecond, PerMinute: perMinute, PerDay: -1},
		}
		e := setup(b, []testAccount{acct}, func(c *jobs.Config) { c.Workers, c.MaxSlices, c.PageSize = 8, 8, 0 })
		sim := e.sims["bench"]
		b.StartTimer()
		start := time.Now()
		e.start()
		runs := e.sync(jobs.SyncRequest{}, 2*time.Hour)
		elapsed := time.Since(start)
		b.StopTimer()
		for _, r := range runs {
			if r.Status != warehouse.RunSucceeded {
				b.Fatalf("run %s ended %s: %s", r.Stream, r.Status, r.LastError)
			}
		}
		st := sim.Stats()
		least := quotaMinimum(st.Accepted, perSecond, perMinute)
		b.ReportMetric(least.Seconds()/elapsed.Seconds(), "quota_efficiency")
		b.ReportMetric(float64(st.Accepted)/elapsed.Seconds(), "calls/s")
		b.Logf("%d contacts: %d calls in %s; the quota allows them in %s; %d rejected",
			contacts, st.Accepted, elapsed.Round(time.Millisecond), least.Round(time.Millisecond), st.Rejected)
	}
}

// BenchmarkStatus measures the status read (what `keapsync status` and
// every /metrics scrape cost) with KEAPSYNC_BENCH_STATUS_ROWS (default ten
// million) live contacts in the warehouse, against counting those rows
// with count(*) as status did before migration 00014.
func BenchmarkStatus(b *testing.B) {
	rows := int64(10_000_000)
	if s := os.Getenv("KEAPSYNC_BENCH_STATUS_ROWS"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 1 {
			b.Fatalf("KEAPSYNC_BENCH_STATUS_ROWS=%q: want a positive count", s)
		}
		rows = n
	}
	e := setup(b, []testAccount{unthrottled("bench", 100)}, nil)
	e.start()
	e.sync(jobs.SyncRequest{}, 2*time.Minute)
	ctx := context.Background()
	contacts := pgx.Identifier{e.mig.DataSchema, "contacts"}.Sanitize()
	const batch = 1_000_000
	for first := int64(1_000_000_000); first < 1_000_000_000+rows; first += batch {
		last := min(first+batch, 1_000_000_000+rows) - 1
		if _, err := e.pool.Exec(ctx, `INSERT INTO `+contacts+` (account, id, given_name, raw, _hash)
			SELECT 'bench', g, 'Contact ' || g, '{}', '\x00' FROM generate_series($1::bigint, $2::bigint) g`, first, last); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := e.pool.Exec(ctx, `ANALYZE `+contacts); err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	var counted int64
	if err := e.pool.QueryRow(ctx, `SELECT count(*) FROM `+contacts+` WHERE account = 'bench' AND _deleted_at IS NULL`).Scan(&counted); err != nil {
		b.Fatal(err)
	}
	countTime := time.Since(start)

	b.ResetTimer()
	var st jobs.Status
	for range b.N {
		var err error
		if st, err = e.p.Status(ctx, ""); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	per := b.Elapsed() / time.Duration(b.N)
	for _, ss := range st.Accounts[0].Streams {
		if ss.Stream == "contacts" && ss.Rows != counted {
			b.Fatalf("status says %d contacts, count(*) %d", ss.Rows, counted)
		}
	}
	b.ReportMetric(float64(per.Microseconds())/1000, "status_ms")
	b.ReportMetric(float64(countTime.Microseconds())/1000, "count_ms")
	b.ReportMetric(float64(countTime)/float64(per), "count/status")
	b.Logf("%d live contacts: status %s, one count(*) of them %s", counted, per.Round(time.Microsecond), countTime.Round(time.Millisecond))
}
