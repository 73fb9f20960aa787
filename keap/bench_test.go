package keap

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/keapsync/keapsync/keap/keapsim"
)

// BenchmarkClientQuota runs 16 goroutines through one client against the
// simulator enforcing the same windows, compressed 10x (a 100ms "second",
// a 6s "minute"), until four minute-windows of quota are spent: a run spans
// three full windows and the start of a fourth (~22s).
//
// utilization = calls accepted / calls the tightest window permitted over
// the run's span D, i.e. min(1+D/interval, PerMinute*(1+floor(D/Minute)),
// PerDay): a rolling window admits at most PerMinute calls in each started
// window of any span. rejected = 429s the simulator sent. Goal: utilization
// >= 0.95, rejected = 0.
func BenchmarkClientQuota(b *testing.B) {
	const (
		goroutines = 16
		perSecond  = 5
		perMinute  = 120
		perDay     = 15_000
		second     = 100 * time.Millisecond
		minute     = 6 * time.Second
		windows    = 4
	)
	model := mustStream(b, "contact_custom_fields")
	var utilization, rejected, seconds float64
	for range b.N {
		sim, err := keapsim.Start(keapsim.Options{
			Contacts: 50, APIKeys: []string{testKey},
			PerSecond: perSecond, PerMinute: perMinute, PerDay: perDay,
			Second: second, Minute: minute,
		})
		if err != nil {
			b.Fatal(err)
		}
		c, err := New(Config{
			BaseURL: sim.URL(), Account: "bench", Credential: NewAPIKey(testKey), Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
			Quota: QuotaConfig{
				PerSecond: perSecond, PerMinute: perMinute, PerDay: perDay,
				Second: second, Minute: minute,
				// The default 100ms would be five times the compressed
				// interval; 10ms still absorbs 12ms of jitter here.
				SpacingMargin: 10 * time.Millisecond,
			},
		})
		if err != nil {
			b.Fatal(err)
		}

		target := int64(windows * perMinute)
		ctx, cancel := context.WithCancel(context.Background())
		var accepted atomic.Int64
		var lastMu sync.Mutex
		var last time.Time
		start := time.Now()
		var wg sync.WaitGroup
		for range goroutines {
			wg.Go(func() {
				for ctx.Err() == nil {
					_, err := c.ListPage(ctx, model, PageRequest{})
					switch {
					case err == nil:
						now := time.Now()
						lastMu.Lock()
						last = later(last, now)
						lastMu.Unlock()
						if accepted.Add(1) >= target {
							cancel()
						}
					case errors.Is(err, context.Canceled):
						return
					default:
						if at, ok := QuotaRetryAt(err); ok {
							_ = SystemClock{}.Sleep(ctx, time.Until(at))
							continue
						}
						b.Error(err)
						cancel()
						return
					}
				}
			})
		}
		wg.Wait()
		cancel()
		st := sim.Stats()
		if err := sim.Close(); err != nil {
			b.Fatal(err)
		}

		span := last.Sub(start)
		interval := second / perSecond
		permitted := min(int64(span/interval)+1, perMinute*(int64(span/minute)+1), perDay)
		utilization += float64(accepted.Load()) / float64(permitted)
		rejected += float64(st.Rejected)
		seconds += span.Seconds()
		b.Logf("accepted %d in %v (permitted %d); simulator: %d requests, %d rejected, peak minute %d, peak second %d",
			accepted.Load(), span.Round(time.Millisecond), permitted, st.Requests, st.Rejected, st.PeakMinute, st.PeakSecond)
	}
	b.ReportMetric(utilization/float64(b.N), "utilization")
	b.ReportMetric(rejected/float64(b.N), "rejected")
	b.ReportMetric(seconds/float64(b.N), "s/run")
}
