package jobs

import (
	"context"
	"fmt"
	"time"

	"github.com/keapsync/keapsync/warehouse"
)

// Wait polls the runs ids until every one is final (succeeded, failed or
// cancelled) or ctx is done, calling progress (when not nil) with their
// latest state after each poll. It works from the database alone, so it
// follows runs worked by any process. Pauses for quota are not an end: Wait
// keeps waiting through them.
func (p *Pipeline) Wait(ctx context.Context, ids []int64, every time.Duration, progress func([]warehouse.SyncRun)) ([]warehouse.SyncRun, error) {
	if every <= 0 {
		every = p.cfg.PollInterval
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		runs := make([]warehouse.SyncRun, 0, len(ids))
		final := true
		for _, id := range ids {
			run, err := p.wh.Run(ctx, p.cfg.Pool, id)
			if err != nil {
				return nil, fmt.Errorf("jobs: wait: %w", err)
			}
			runs = append(runs, run)
			final = final && run.Status.Final()
		}
		if progress != nil {
			progress(runs)
		}
		if final {
			return runs, nil
		}
		select {
		case <-ctx.Done():
			return runs, fmt.Errorf("jobs: wait: %w", ctx.Err())
		case <-t.C:
		}
	}
}
