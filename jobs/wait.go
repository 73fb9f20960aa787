package jobs

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/keapsync/keapsync/warehouse"
)

// Run is a sync run as the pipeline reports it: what Sync starts or
// joins, what Wait follows and what Status shows as a stream's latest
// run. Joined is set when Sync found the run already active and joined it
// instead of starting another.
type Run struct {
	warehouse.SyncRun
	Joined bool
}

// runJSON is Run's JSON form: times that have not happened are null.
type runJSON struct {
	ID         int64      `json:"id"`
	Account    string     `json:"account"`
	Stream     string     `json:"stream"`
	Kind       string     `json:"kind"`
	Trigger    string     `json:"trigger"`
	Status     string     `json:"status"`
	Joined     bool       `json:"joined"`
	Backfill   bool       `json:"backfill"`
	StartedAt  time.Time  `json:"started_at"`
	FinishedAt *time.Time `json:"finished_at"`
	ResumeAt   *time.Time `json:"resume_at"`
	Pages      int64      `json:"pages"`
	Inserted   int64      `json:"rows_inserted"`
	Updated    int64      `json:"rows_updated"`
	Unchanged  int64      `json:"rows_unchanged"`
	Deleted    int64      `json:"rows_deleted"`
	APICalls   int64      `json:"api_calls"`
	LastError  string     `json:"last_error,omitempty"`
}

// MarshalJSON writes the run as sync --json and status --json print it.
func (r Run) MarshalJSON() ([]byte, error) {
	return json.Marshal(runJSON{
		ID: r.ID, Account: r.Account, Stream: r.Stream, Kind: string(r.Kind), Trigger: string(r.Trigger), Status: string(r.Status),
		Joined: r.Joined, Backfill: r.Backfill, StartedAt: r.StartedAt, FinishedAt: timePtr(r.FinishedAt), ResumeAt: timePtr(r.ResumeAt),
		Pages: r.Pages, Inserted: r.RowsInserted, Updated: r.RowsUpdated, Unchanged: r.RowsUnchanged, Deleted: r.RowsDeleted,
		APICalls: r.APICalls, LastError: r.LastError,
	})
}

// Wait polls runs until every one is final (succeeded, failed or
// cancelled) or ctx is done, calling progress (when not nil) with their
// latest state after each poll. It works from the database alone, so it
// follows runs worked by any process. Pauses for quota are not an end: Wait
// keeps waiting through them. Each run keeps its Joined.
func (p *Pipeline) Wait(ctx context.Context, runs []Run, every time.Duration, progress func([]Run)) ([]Run, error) {
	if every <= 0 {
		every = p.cfg.PollInterval
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		latest := make([]Run, 0, len(runs))
		final := true
		for _, r := range runs {
			run, err := p.wh.Run(ctx, p.cfg.Pool, r.ID)
			if err != nil {
				return nil, fmt.Errorf("jobs: wait: %w", err)
			}
			latest = append(latest, Run{SyncRun: run, Joined: r.Joined})
			final = final && run.Status.Final()
		}
		if progress != nil {
			progress(latest)
		}
		if final {
			return latest, nil
		}
		select {
		case <-ctx.Done():
			return latest, fmt.Errorf("jobs: wait: %w", ctx.Err())
		case <-t.C:
		}
	}
}
