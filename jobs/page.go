package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/keapsync/keapsync/keap"
	"github.com/keapsync/keapsync/warehouse"
)

// pageWorker fetches one page of a run's slice and commits it.
type pageWorker struct {
	river.WorkerDefaults[PageArgs]
	p *Pipeline
}

// errStale marks a job with nothing left to do: its run ended, or its
// page was committed by another execution of the same job.
var errStale = errors.New("stale page job")

// Timeout bounds one page job (fetch and commit).
func (w *pageWorker) Timeout(*river.Job[PageArgs]) time.Duration { return w.p.cfg.JobTimeout }

// Work fetches the page its slice is at and, in one transaction, upserts
// its rows, advances the slice (the checkpoint), adds the run's progress,
// enqueues the next page and completes itself. A crash at any instant
// commits all of that or none of it.
func (w *pageWorker) Work(ctx context.Context, job *river.Job[PageArgs]) error {
	start := time.Now()
	err := w.work(ctx, job)
	outcome := "completed"
	var snooze *river.JobSnoozeError
	var cancel *river.JobCancelError
	switch {
	case errors.Is(err, errStale):
		outcome, err = "stale", nil
		w.p.logger(job.Args).LogAttrs(ctx, slog.LevelDebug, "jobs: stale page job: nothing to do")
	case errors.As(err, &snooze):
		outcome = "snoozed"
	case errors.As(err, &cancel):
		outcome = "cancelled"
	case err != nil:
		outcome = "retry"
	}
	w.p.metrics.JobDone(KindPage, outcome, time.Since(start))
	return err
}

func (w *pageWorker) work(ctx context.Context, job *river.Job[PageArgs]) error {
	p := w.p
	args := job.Args
	a := p.accounts[args.Account]
	if a == nil {
		return river.JobCancel(fmt.Errorf("account %q: %w", args.Account, ErrUnknownAccount))
	}
	s, ok := keap.StreamByName(args.Stream)
	if !ok {
		return river.JobCancel(fmt.Errorf("stream %q: %w", args.Stream, ErrUnknownStream))
	}
	run, err := p.wh.Run(ctx, p.cfg.Pool, args.RunID)
	if errors.Is(err, warehouse.ErrRunNotActive) {
		return river.JobCancel(fmt.Errorf("run %d no longer exists", args.RunID))
	}
	if err != nil {
		return err
	}
	sl, err := p.wh.Slice(ctx, p.cfg.Pool, args.RunID, args.Slice)
	if errors.Is(err, warehouse.ErrNoSlice) {
		return river.JobCancel(err)
	}
	if err != nil {
		return err
	}
	if sl.Done || sl.Page != args.Page {
		return errStale
	}
	if paused, err := p.wh.Paused(ctx, p.cfg.Pool, a.Name, s.Name); err != nil {
		return err
	} else if paused {
		return river.JobSnooze(p.cfg.PauseRecheck) // snoozed: no attempt spent, no call made
	}
	r := p.ownRun(a, run)
	if r.Status.Final() {
		if r.Status == warehouse.RunSucceeded {
			return errStale
		}
		// A failed or cancelled run's job was retried (River's retry, `keapsync
		// jobs retry`, River UI): continue the run from its checkpoint.
		err := pgx.BeginFunc(ctx, p.cfg.Pool, func(tx pgx.Tx) error { return r.resume(ctx, tx, args.Slice) })
		if errors.Is(err, warehouse.ErrRunConflict) {
			p.logger(args).LogAttrs(ctx, slog.LevelInfo, "jobs: retried job superseded by a newer run of the stream")
			return errStale
		}
		if err != nil {
			return err
		}
	}

	req := p.pageRequest(s, r.SyncRun, sl)
	fetchStart := time.Now()
	page, err := a.client.ListPage(ctx, s, req)
	fetch := time.Since(fetchStart)
	if err != nil {
		return p.outcome(ctx, job, r, err)
	}
	mapped := mapPage(s, r.Kind, page.Records)
	commitStart := time.Now()
	var stats PageStats
	err = pgx.BeginFunc(ctx, p.cfg.Pool, func(tx pgx.Tx) error {
		stats, err = r.commitPage(ctx, tx, job, page, mapped)
		return err
	})
	if errors.Is(err, errStale) {
		return err
	}
	if err != nil {
		return p.outcome(ctx, job, r, &commitError{err: err})
	}
	stats.Fetch, stats.Commit = fetch, time.Since(commitStart)
	p.metrics.Page(a.Name, s.Name, stats)
	p.logger(args).LogAttrs(ctx, slog.LevelDebug, "jobs: page committed",
		slog.Int("records", stats.Records), slog.Int("inserted", stats.Inserted), slog.Int("updated", stats.Updated),
		slog.Duration("fetch", stats.Fetch), slog.Duration("commit", stats.Commit))
	return nil
}

// commitError wraps a failure to commit a fetched page, so the outcome can
// ask the warehouse whether retrying can help.
type commitError struct{ err error }

func (e *commitError) Error() string { return "commit page: " + e.err.Error() }
func (e *commitError) Unwrap() error { return e.err }

// pageRequest builds the request of the slice's next page.
func (p *Pipeline) pageRequest(s keap.Stream, run warehouse.SyncRun, sl warehouse.Slice) keap.PageRequest {
	var req keap.PageRequest
	if s.Mode == keap.ModeSingle {
		return req
	}
	req.PageSize = p.pageSize(s)
	// A backfill (or a reconciliation) may spend only part of each day's
	// quota, so the incremental runs keep theirs.
	req.Background = run.Backfill
	req.IDsOnly = run.Kind == warehouse.RunReconcile
	if s.Mode == keap.ModeTimeFilter && run.Kind == warehouse.RunSync {
		req.Since, req.Until = sl.Since, sl.Until
	}
	switch {
	case s.AfterIDFilter != "":
		req.AfterID, req.BeforeID = sl.AfterID, sl.BeforeID
		req.Descending = sl.Probe
	case s.Version == keap.V1:
		req.Cursor.Offset = sl.PageOffset
	default:
		req.Cursor.Token = sl.PageToken
	}
	return req
}

// pageSize is the records per page of s: its largest, unless
// Config.PageSize is smaller.
func (p *Pipeline) pageSize(s keap.Stream) int {
	if p.cfg.PageSize > 0 && p.cfg.PageSize < s.MaxPageSize {
		return p.cfg.PageSize
	}
	return s.MaxPageSize
}

// advance returns the slice as it stands after page.
func advance(s keap.Stream, sl warehouse.Slice, page *keap.Page) warehouse.Slice {
	next := sl
	next.Page++
	next.Records += int64(len(page.Records))
	for _, r := range page.Records {
		if r.Updated.After(next.MaxUpdated) {
			next.MaxUpdated = r.Updated
		}
	}
	switch {
	case s.Mode == keap.ModeSingle:
		next.Done = true
	case s.AfterIDFilter != "":
		if sl.Probe {
			next.Done = true // a probe reads one page
			break
		}
		for _, r := range page.Records {
			next.AfterID = max(next.AfterID, r.ID)
		}
		// A slice bounded above is done once nothing is left below its
		// bound (a split may have moved the bound under it).
		next.Done = page.Done || len(page.Records) == 0 || (sl.BeforeID > 0 && next.AfterID >= sl.BeforeID-1)
	case s.Version == keap.V1:
		next.PageOffset = page.Next.Offset
		next.Done = page.Done
	default:
		next.PageToken = page.Next.Token
		next.Done = page.Done
	}
	// Newest first: once a page ends before the checkpoint (less the
	// overlap), every later page is older still.
	if s.Mode == keap.ModeUpdateOrder && !sl.StopBefore.IsZero() && len(page.Records) > 0 {
		if last := page.Records[len(page.Records)-1].Updated; !last.IsZero() && last.Before(sl.StopBefore) {
			next.Done = true
		}
	}
	return next
}
