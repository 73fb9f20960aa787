package jobs

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/keapsync/keapsync/warehouse"
)

// KindWatch is the job kind of the leader's periodic look for stale
// streams.
const KindWatch = "keapsync_watch"

// WatchArgs looks at every scheduled stream's freshness: a stream stale
// past its schedule opens an IncidentStale, a fresh one resolves it.
type WatchArgs struct{}

// Kind returns KindWatch.
func (WatchArgs) Kind() string { return KindWatch }

// InsertOpts puts the watch in the notifications' queue.
func (WatchArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: notifyQueue, MaxAttempts: 1}
}

var _ river.JobArgsWithInsertOpts = WatchArgs{}

type watchWorker struct {
	river.WorkerDefaults[WatchArgs]
	p *Pipeline
}

// Work records, in one transaction, each scheduled stream's staleness.
func (w *watchWorker) Work(ctx context.Context, job *river.Job[WatchArgs]) error {
	p := w.p
	now := p.cfg.Now().UTC()
	return pgx.BeginFunc(ctx, p.cfg.Pool, func(tx pgx.Tx) error {
		for _, name := range p.order {
			a := p.accounts[name]
			interval, ok := scheduleInterval(a.Schedule, now)
			if !ok {
				continue
			}
			for _, s := range a.streams {
				last, ok, err := p.wh.LastSuccess(ctx, tx, a.Name, s.Name, warehouse.RunSync)
				if err != nil {
					return err
				}
				if !ok {
					continue // a first sync is not stale, however long it takes
				}
				if !stale(last.FinishedAt, interval, now) {
					continue // a success resolves it (resolveIncidents)
				}
				in := warehouse.Incident{Stream: s.Name, Kind: IncidentStale,
					Detail: "last synced " + last.FinishedAt.UTC().Format(time.RFC3339) + ", scheduled every " + interval.String()}
				if err := p.openIncident(ctx, tx, a, in); err != nil {
					return err
				}
			}
		}
		_, err := river.JobCompleteTx[*riverDriver](ctx, tx, job)
		return err
	})
}

// scheduleInterval is the time between two runs of the cron schedule expr
// after now; false for no (or an invalid) schedule.
func scheduleInterval(expr string, now time.Time) (time.Duration, bool) {
	if expr == "" {
		return 0, false
	}
	sched, err := ParseSchedule(expr)
	if err != nil {
		return 0, false
	}
	next := sched.Next(now)
	after := sched.Next(next)
	if !after.After(next) {
		return 0, false
	}
	return after.Sub(next), true
}

// staleAfter is how long after its last success a stream synced every
// interval is stale: a whole interval, plus half of one (at least an
// hour) for the run itself. A nightly sync is stale 36 hours after its
// last success, that is when the next night's run has not succeeded by
// midday.
func staleAfter(interval time.Duration) time.Duration {
	return interval + max(interval/2, time.Hour)
}

// stale reports whether a stream that last succeeded at last, scheduled
// every interval, is stale at now.
func stale(last time.Time, interval time.Duration, now time.Time) bool {
	return now.Sub(last) > staleAfter(interval)
}
