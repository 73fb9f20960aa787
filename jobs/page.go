package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
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
	if run.Status.Final() {
		if run.Status == warehouse.RunSucceeded {
			return errStale
		}
		// A failed or cancelled run's job was retried (River's retry, `keapsync
		// jobs retry`, River UI): continue the run from its checkpoint.
		if err := p.resumeRun(ctx, a, run, args.Slice); err != nil {
			if errors.Is(err, warehouse.ErrRunConflict) {
				p.logger(args).LogAttrs(ctx, slog.LevelInfo, "jobs: retried job superseded by a newer run of the stream")
				return errStale
			}
			return err
		}
		run.Status = warehouse.RunRunning
	}

	req := p.pageRequest(s, run, sl)
	fetchStart := time.Now()
	page, err := a.client.ListPage(ctx, s, req)
	fetch := time.Since(fetchStart)
	if err != nil {
		return p.outcome(ctx, job, a, run, err)
	}
	mapped, err := mapPage(s, run.Kind, page.Records)
	if err != nil {
		return p.outcome(ctx, job, a, run, err)
	}
	commitStart := time.Now()
	stats, err := p.commit(ctx, job, a, s, run, page, mapped)
	if err != nil {
		if errors.Is(err, errStale) {
			return err
		}
		return p.outcome(ctx, job, a, run, &commitError{err: err})
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
		if sl.AfterID > 0 {
			req.AfterID = strconv.FormatInt(sl.AfterID, 10)
		}
		if sl.BeforeID > 0 {
			req.BeforeID = strconv.FormatInt(sl.BeforeID, 10)
		}
		req.Descending = sl.Descending
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
func advance(s keap.Stream, sl warehouse.Slice, page *keap.Page) (warehouse.Slice, error) {
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
		if sl.Descending {
			next.Done = true // a probe reads one page
			break
		}
		for i, r := range page.Records {
			id, err := strconv.ParseInt(r.ID, 10, 64)
			if err != nil {
				return sl, &keap.BodyError{Problem: keap.BodyBadRecord, Detail: fmt.Sprintf("record %d: id %.40q is not an integer", i, r.ID)}
			}
			next.AfterID = max(next.AfterID, id)
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
	return next, nil
}

// commit writes a fetched page and everything that goes with it in one
// transaction.
func (p *Pipeline) commit(ctx context.Context, job *river.Job[PageArgs], a *account, s keap.Stream, run warehouse.SyncRun, page *keap.Page, m mappedPage) (PageStats, error) {
	stats := PageStats{Records: len(page.Records), Problems: m.problems}
	err := pgx.BeginFunc(ctx, p.cfg.Pool, func(tx pgx.Tx) error {
		stats = PageStats{Records: len(page.Records), Problems: m.problems}
		locked, err := p.wh.LockRun(ctx, tx, run.ID)
		if err != nil {
			return err
		}
		if locked.Status.Final() {
			return errStale
		}
		cur, err := p.wh.LockSlice(ctx, tx, run.ID, job.Args.Slice)
		if err != nil {
			return err
		}
		if cur.Done || cur.Page != job.Args.Page {
			return errStale
		}
		next, err := advance(s, cur, page)
		if err != nil {
			return err
		}
		prog := warehouse.RunProgress{Pages: 1}
		if locked.Kind == warehouse.RunReconcile {
			if err := p.wh.RecordSeen(ctx, tx, run.ID, m.ids); err != nil {
				return err
			}
		} else {
			res, err := p.wh.Upsert(ctx, tx, s.Name, warehouse.Page{Account: a.Name, RunID: run.ID, Rows: m.rows})
			if err != nil {
				return err
			}
			prog = res.Progress()
			stats.Inserted, stats.Updated, stats.Unchanged = res.Inserted, res.Updated, res.Unchanged
			if s.Mode == keap.ModeSingle {
				deleted, err := p.syncDefinitions(ctx, tx, s, locked, m.ids, res)
				if err != nil {
					return err
				}
				prog.RowsDeleted += deleted
				stats.Deleted = int(deleted)
			}
		}
		prog.APICalls = 1
		if err := p.wh.SaveSlice(ctx, tx, next); err != nil {
			return err
		}
		if err := p.wh.AddRunProgress(ctx, tx, run.ID, prog); err != nil {
			return err
		}
		if locked.Status == warehouse.RunPausedQuota {
			if err := p.wh.ResumeRun(ctx, tx, run.ID); err != nil {
				return err
			}
		}
		if err := p.split(ctx, tx, a, s, job, cur, next, page); err != nil {
			return err
		}
		if !next.Done {
			args := job.Args
			args.Page = next.Page
			if err := p.enqueuePage(ctx, tx, a, args, job.Priority); err != nil {
				return err
			}
		} else if err := p.finishIfDone(ctx, tx, a, s, locked); err != nil {
			return err
		}
		if locked.Kind == warehouse.RunSync {
			cp := warehouse.Checkpoint{Account: a.Name, Stream: s.Name, Mode: s.Mode.String(), RunID: run.ID,
				PageToken: next.PageToken, PageOffset: next.PageOffset, LastID: next.AfterID}
			if _, err := p.wh.SaveCheckpoint(ctx, tx, cp); err != nil {
				return err
			}
		}
		_, err = river.JobCompleteTx[*riverDriver](ctx, tx, job)
		return err
	})
	return stats, err
}

// split starts a probe after the first page of a large latency-bound read,
// and divides the rest among parallel slices once the probe's page is in
// (see split.go).
func (p *Pipeline) split(ctx context.Context, tx pgx.Tx, a *account, s keap.Stream, job *river.Job[PageArgs], cur, next warehouse.Slice, page *keap.Page) error {
	if cur.Descending {
		return p.splitAfterProbe(ctx, tx, a, s, job, cur, page)
	}
	if cur.Page != 0 || !s.KeysetByID() {
		return nil
	}
	slices, err := p.wh.Slices(ctx, tx, cur.RunID)
	if err != nil {
		return err
	}
	if !p.probeNeeded(a, s, cur, next, page, slices) {
		return nil
	}
	return p.addProbe(ctx, tx, a, job, slices, next)
}

// syncDefinitions soft-deletes the custom-field definitions the model no
// longer lists and, when any definition changed, rebuilds the entity's
// named view in the same transaction.
func (p *Pipeline) syncDefinitions(ctx context.Context, tx pgx.Tx, s keap.Stream, run warehouse.SyncRun, ids []int64, res warehouse.UpsertResult) (int64, error) {
	if err := p.wh.RecordSeen(ctx, tx, run.ID, ids); err != nil {
		return 0, err
	}
	rr, err := p.wh.ApplyReconcile(ctx, tx, s.Name, run, 0)
	if err != nil {
		return 0, err
	}
	if res.Inserted+res.Updated > 0 || rr.Deleted+rr.Undeleted > 0 {
		if _, err := p.wh.RefreshCustomFieldView(ctx, tx, customFieldEntity(s.Name)); err != nil {
			return 0, err
		}
	}
	return rr.Deleted, nil
}

// customFieldEntity names the entity whose view a definitions stream feeds.
func customFieldEntity(stream string) string {
	switch stream {
	case "contact_custom_fields":
		return "contacts"
	case "company_custom_fields":
		return "companies"
	case "opportunity_custom_fields":
		return "opportunities"
	case "order_custom_fields":
		return "orders"
	}
	return ""
}

// finishIfDone ends the run once every slice is done: a sync moves the
// checkpoint's high-water mark, a reconciliation applies its deletes.
func (p *Pipeline) finishIfDone(ctx context.Context, tx pgx.Tx, a *account, s keap.Stream, run warehouse.SyncRun) error {
	slices, err := p.wh.Slices(ctx, tx, run.ID)
	if err != nil {
		return err
	}
	var maxUpdated time.Time
	for _, sl := range slices {
		if !sl.Done {
			return nil
		}
		if sl.MaxUpdated.After(maxUpdated) {
			maxUpdated = sl.MaxUpdated
		}
	}
	switch run.Kind {
	case warehouse.RunReconcile:
		live, err := p.wh.LiveRows(ctx, tx, s.Name, a.Name)
		if err != nil {
			return err
		}
		limit := max(100, int64(p.cfg.MaxDeleteFraction*float64(live)))
		rr, err := p.wh.ApplyReconcile(ctx, tx, s.Name, run, limit)
		if err != nil {
			return err
		}
		if err := p.wh.AddRunProgress(ctx, tx, run.ID, warehouse.RunProgress{RowsDeleted: rr.Deleted}); err != nil {
			return err
		}
		p.log.LogAttrs(ctx, slog.LevelInfo, "jobs: reconciliation applied",
			slog.String("account", a.Name), slog.String("stream", s.Name), slog.Int64("run_id", run.ID),
			slog.Int64("seen", rr.Seen), slog.Int64("deleted", rr.Deleted), slog.Int64("undeleted", rr.Undeleted))
	default:
		hwm := run.WindowUntil
		if s.Mode == keap.ModeUpdateOrder {
			hwm = maxUpdated // Keap's clock, which the next run compares with
		}
		cp := warehouse.Checkpoint{Account: a.Name, Stream: s.Name, Mode: s.Mode.String(), HighWaterTime: hwm, RunID: run.ID}
		if _, err := p.wh.SaveCheckpoint(ctx, tx, cp); err != nil {
			return err
		}
	}
	if err := p.wh.FinishRun(ctx, tx, run.ID, warehouse.RunSucceeded, ""); err != nil {
		return err
	}
	p.log.LogAttrs(ctx, slog.LevelInfo, "jobs: run succeeded",
		slog.String("account", a.Name), slog.String("stream", s.Name), slog.Int64("run_id", run.ID),
		slog.String("kind", string(run.Kind)))
	return nil
}

// resumeRun reopens a failed or cancelled run and enqueues the next page of
// each unfinished slice but except (the job doing the resuming), so the
// whole run continues from its checkpoint.
func (p *Pipeline) resumeRun(ctx context.Context, a *account, run warehouse.SyncRun, except int) error {
	return pgx.BeginFunc(ctx, p.cfg.Pool, func(tx pgx.Tx) error {
		return p.resumeRunTx(ctx, tx, a, run, except)
	})
}

func (p *Pipeline) resumeRunTx(ctx context.Context, tx pgx.Tx, a *account, run warehouse.SyncRun, except int) error {
	if err := p.wh.ReopenRun(ctx, tx, run.ID); err != nil {
		return err
	}
	slices, err := p.wh.Slices(ctx, tx, run.ID)
	if err != nil {
		return err
	}
	prio := priorityFresh
	if run.Backfill {
		prio = priorityBackfill
	}
	for _, sl := range slices {
		if sl.Done || sl.N == except {
			continue
		}
		args := PageArgs{Account: a.Name, Stream: run.Stream, RunID: run.ID, Slice: sl.N, Page: sl.Page}
		if err := p.enqueuePage(ctx, tx, a, args, prio); err != nil {
			return err
		}
	}
	p.log.LogAttrs(ctx, slog.LevelInfo, "jobs: run resumed",
		slog.String("account", a.Name), slog.String("stream", run.Stream), slog.Int64("run_id", run.ID))
	return nil
}
