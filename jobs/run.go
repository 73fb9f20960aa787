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
	"github.com/riverqueue/river/rivertype"

	"github.com/keapsync/keapsync/keap"
	"github.com/keapsync/keapsync/warehouse"
)

// A syncRun is one run of one stream of one account, as the pipeline drives
// it. Its methods are the only place a run starts, commits a page, pauses,
// resumes, fails, is cancelled or finishes, and the only place its page jobs
// are enqueued. Each works on the caller's transaction, so what it records
// commits with the rest of the caller's work or not at all.
type syncRun struct {
	p *Pipeline
	a *account
	s keap.Stream
	warehouse.SyncRun
}

// ownRun returns the owner of run, a run of account a (its stream from the
// catalogue).
func (p *Pipeline) ownRun(a *account, run warehouse.SyncRun) *syncRun {
	s, _ := keap.StreamByName(run.Stream)
	return &syncRun{p: p, a: a, s: s, SyncRun: run}
}

// startRun starts a run of stream s of account a on tx and enqueues the first
// page of each of its slices, or returns the stream's active run (joined).
func (p *Pipeline) startRun(ctx context.Context, tx pgx.Tx, a *account, s keap.Stream, kind warehouse.RunKind, rq readRequest, trigger warehouse.Trigger) (r *syncRun, joined bool, err error) {
	active, ok, err := p.wh.ActiveRun(ctx, tx, a.Name, s.Name, kind)
	if err != nil {
		return nil, false, err
	}
	if ok {
		r := p.ownRun(a, active)
		live, err := r.hasLiveJobs(ctx, tx)
		if err != nil {
			return nil, false, err
		}
		if live {
			return r, true, nil
		}
		// Its jobs were cancelled or deleted outside keapsync (River UI):
		// end it, and start anew from its slices' positions.
		if err := r.end(ctx, tx, warehouse.RunCancelled, 0, "", "no job left to continue the run (cancelled or deleted outside keapsync)"); err != nil {
			return nil, false, err
		}
	}
	spec, err := p.runSpec(ctx, tx, a, s, kind, rq, trigger)
	if err != nil {
		return nil, false, err
	}
	run, started, err := p.wh.StartRun(ctx, tx, spec)
	if err != nil {
		return nil, false, err
	}
	r = p.ownRun(a, run)
	if !started {
		return r, true, nil
	}
	for n := range spec.Slices {
		if err := r.enqueue(ctx, tx, n, 0); err != nil {
			return nil, false, err
		}
	}
	p.log.LogAttrs(ctx, slog.LevelInfo, "jobs: run started",
		slog.String("account", a.Name), slog.String("stream", s.Name), slog.Int64("run_id", run.ID),
		slog.String("kind", string(kind)), slog.Bool("backfill", run.Backfill), slog.Int("slices", len(spec.Slices)),
		slog.Int64("adopted_from", spec.AdoptedFrom))
	return r, false, nil
}

// priority is the River priority of the run's page jobs: a backfill (or a
// reconciliation) goes after the incremental runs.
func (r *syncRun) priority() int {
	if r.Backfill {
		return priorityBackfill
	}
	return priorityFresh
}

// enqueue inserts the job of page page of slice n on tx.
func (r *syncRun) enqueue(ctx context.Context, tx pgx.Tx, n, page int) error {
	args := PageArgs{Account: r.a.Name, Stream: r.s.Name, RunID: r.ID, Slice: n, Page: page}
	opts := &river.InsertOpts{Queue: r.a.queue, Priority: r.priority(), Tags: r.tags()}
	if _, err := r.p.river.InsertTx(ctx, tx, args, opts); err != nil {
		return fmt.Errorf("enqueue page: %w", err)
	}
	return nil
}

// tags are the River tags of the run's page jobs, by which River UI finds
// a stream's or a run's jobs (River's tags allow no colon).
func (r *syncRun) tags() []string {
	return []string{"account-" + r.a.Name, "stream-" + r.s.Name, "run-" + strconv.FormatInt(r.ID, 10)}
}

// pageOutput is what a page job records as its River output (shown by
// River UI): what the page was and did.
type pageOutput struct {
	Slice     int    `json:"slice"`
	Page      int    `json:"page"`
	Records   int    `json:"records"`
	Inserted  int    `json:"inserted"`
	Updated   int    `json:"updated"`
	Unchanged int    `json:"unchanged"`
	Deleted   int    `json:"deleted"`
	Problems  int    `json:"problems"`
	Calls     int    `json:"calls"`
	Run       string `json:"run"`
}

// commitPage writes a fetched page of slice job.Args.Slice and everything
// that goes with it on tx: the rows, the slice's new position, the run's
// progress, the split of a latency-bound read, the next page's job or the
// run's end, and the job's completion. It returns errStale when the run
// ended or another execution of the job committed the page first.
func (r *syncRun) commitPage(ctx context.Context, tx pgx.Tx, job *river.Job[PageArgs], page *keap.Page, m mappedPage) (PageStats, error) {
	p, s := r.p, r.s
	stats := PageStats{Records: len(page.Records), Problems: m.problems}
	locked, err := p.wh.LockRun(ctx, tx, r.ID)
	if err != nil {
		return stats, err
	}
	if locked.Status.Final() {
		return stats, errStale
	}
	r.SyncRun = locked
	cur, err := p.wh.LockSlice(ctx, tx, r.ID, job.Args.Slice)
	if err != nil {
		return stats, err
	}
	if cur.Done || cur.Page != job.Args.Page {
		return stats, errStale
	}
	next := advance(s, cur, page)
	prog := warehouse.RunProgress{Pages: 1}
	if r.appliesDeletes() {
		if err := p.wh.RecordSeen(ctx, tx, r.ID, m.ids); err != nil {
			return stats, err
		}
	}
	if r.Kind != warehouse.RunReconcile {
		res, err := p.wh.Upsert(ctx, tx, s.Name, warehouse.Page{Account: r.a.Name, RunID: r.ID, Rows: m.rows})
		if err != nil {
			return stats, err
		}
		prog = res.Progress()
		stats.Inserted, stats.Updated, stats.Unchanged = res.Inserted, res.Updated, res.Unchanged
		if s.Mode == keap.ModeSingle {
			deleted, err := r.syncDefinitions(ctx, tx, job.ID, res)
			if err != nil {
				return stats, err
			}
			prog.RowsDeleted += deleted
			stats.Deleted = int(deleted)
		}
	}
	if r.Status.Final() {
		// Its deletes were withheld and the run failed on this page (its
		// rows are kept): nothing more to record.
		_, err = river.JobCompleteTx[*riverDriver](ctx, tx, job)
		return stats, err
	}
	prog.APICalls = 1
	if err := p.wh.SaveSlice(ctx, tx, next); err != nil {
		return stats, err
	}
	if err := p.wh.AddRunProgress(ctx, tx, r.ID, prog); err != nil {
		return stats, err
	}
	if r.Status == warehouse.RunPausedQuota {
		if err := p.wh.ResumeRun(ctx, tx, r.ID); err != nil {
			return stats, err
		}
	}
	if err := r.split(ctx, tx, cur, next, page); err != nil {
		return stats, err
	}
	if !next.Done {
		if err := r.enqueue(ctx, tx, next.N, next.Page); err != nil {
			return stats, err
		}
	} else if err := r.finishIfDone(ctx, tx, job.ID); err != nil {
		return stats, err
	}
	if err := river.RecordOutput(ctx, pageOutput{Slice: job.Args.Slice, Page: job.Args.Page, Records: stats.Records,
		Inserted: stats.Inserted, Updated: stats.Updated, Unchanged: stats.Unchanged, Deleted: stats.Deleted,
		Problems: stats.Problems, Calls: 1, Run: string(r.Status)}); err != nil {
		return stats, err
	}
	_, err = river.JobCompleteTx[*riverDriver](ctx, tx, job)
	return stats, err
}

// syncDefinitions soft-deletes the records a one-call list (a custom-field
// model, a lookup) no longer holds and, for custom-field definitions, when
// any changed, rebuilds the entity's named view in the same transaction. Deletes beyond the guard are
// withheld (applyDeletes): the run then fails, the new and changed
// definitions are kept.
func (r *syncRun) syncDefinitions(ctx context.Context, tx pgx.Tx, self int64, res warehouse.UpsertResult) (int64, error) {
	wh := r.p.wh
	rr, err := r.applyDeletes(ctx, tx, self)
	if err != nil {
		return 0, err
	}
	if r.s.CustomFieldsOf != "" && (res.Inserted+res.Updated > 0 || rr.Deleted+rr.Undeleted > 0) {
		if _, err := wh.RefreshCustomFieldView(ctx, tx, r.s.CustomFieldsOf); err != nil {
			return 0, err
		}
	}
	return rr.Deleted, nil
}

// applyDeletes soft-deletes the rows the run did not list, within the
// guard: one reading may delete at most MaxDeleteFraction of the live
// rows (so any share of a one-row table is too many). Beyond it the
// deletes wait for a second reading or an operator's approval, and the run
// fails saying so; tx stays committable.
func (r *syncRun) applyDeletes(ctx context.Context, tx pgx.Tx, self int64) (warehouse.ReconcileResult, error) {
	p := r.p
	live, err := p.wh.LiveRows(ctx, tx, r.s.Name, r.a.Name)
	if err != nil {
		return warehouse.ReconcileResult{}, err
	}
	limit := int64(p.cfg.MaxDeleteFraction * float64(live))
	rr, err := p.wh.ApplyReconcile(ctx, tx, r.s.Name, r.SyncRun, limit)
	var withheld *warehouse.TooManyDeletesError
	if errors.As(err, &withheld) {
		p.log.LogAttrs(ctx, slog.LevelWarn, "jobs: mass delete withheld",
			slog.String("account", r.a.Name), slog.String("stream", r.s.Name), slog.Int64("run_id", r.ID),
			slog.Int64("deletes", withheld.Deletes), slog.Int64("seen", withheld.Seen), slog.Int64("live", live), slog.Int64("limit", limit))
		return rr, r.fail(ctx, tx, self, IncidentRunFailed, withheld.Error())
	}
	if err != nil {
		return rr, err
	}
	p.log.LogAttrs(ctx, slog.LevelInfo, "jobs: deletes applied",
		slog.String("account", r.a.Name), slog.String("stream", r.s.Name), slog.Int64("run_id", r.ID),
		slog.Int64("seen", rr.Seen), slog.Int64("deleted", rr.Deleted), slog.Int64("undeleted", rr.Undeleted))
	return rr, nil
}

// finishIfDone ends the run once every slice is done: a sync moves the
// checkpoint's high-water mark, a reconciliation applies its deletes.
// A run that has already ended (its deletes were withheld) is left as it
// is.
func (r *syncRun) finishIfDone(ctx context.Context, tx pgx.Tx, self int64) error {
	if r.Status.Final() {
		return nil
	}
	p, s, a := r.p, r.s, r.a
	slices, err := p.wh.Slices(ctx, tx, r.ID)
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
	switch r.Kind {
	case warehouse.RunReconcile:
		rr, err := r.applyDeletes(ctx, tx, self)
		if err != nil || r.Status.Final() {
			return err
		}
		if err := p.wh.AddRunProgress(ctx, tx, r.ID, warehouse.RunProgress{RowsDeleted: rr.Deleted}); err != nil {
			return err
		}
	default:
		hwm := r.WindowUntil
		if s.Mode == keap.ModeUpdateOrder {
			hwm = maxUpdated // Keap's clock, which the next run compares with
		}
		cp := warehouse.Checkpoint{Account: a.Name, Stream: s.Name, Mode: s.Mode.String(), HighWaterTime: hwm, RunID: r.ID}
		if r.Reread {
			break // a range in the past says nothing of what changed after it
		}
		if _, err := p.wh.SaveCheckpoint(ctx, tx, cp); err != nil {
			return err
		}
		if r.readsWhole() {
			// Every id alive was listed: the rest were deleted in Keap,
			// found at no extra call. (Withheld deletes fail the run; the
			// checkpoint above stays.)
			rr, err := r.applyDeletes(ctx, tx, self)
			if err != nil || r.Status.Final() {
				return err
			}
			if err := p.wh.AddRunProgress(ctx, tx, r.ID, warehouse.RunProgress{RowsDeleted: rr.Deleted}); err != nil {
				return err
			}
		}
	}
	return r.end(ctx, tx, warehouse.RunSucceeded, 0, "", "")
}

// appliesDeletes reports whether the run soft-deletes the rows it does not
// see: a reconciliation, a read of custom-field definitions, a whole read.
func (r *syncRun) appliesDeletes() bool {
	return r.Kind == warehouse.RunReconcile || r.s.Mode == keap.ModeSingle || r.readsWhole()
}

// readsWhole reports whether the run is a sync that lists every record of
// its stream, so that the rows it does not see were deleted in Keap: every
// run of a stream read whole each time (users, products, campaigns), and
// a first or full sync in id order. A run that continued a failed one's
// slices saw only part; a stream ordered by update time can move a record
// past the scan while it runs, so its whole reads find no deletes.
func (r *syncRun) readsWhole() bool {
	if r.Kind != warehouse.RunSync || r.AdoptedFrom != 0 {
		return false
	}
	switch r.s.Mode {
	case keap.ModeFullScan:
		return true
	case keap.ModeTimeFilter:
		return r.WindowSince.IsZero() && Reconcilable(r.s)
	}
	return false
}

// pause marks the run paused for the day's quota until resumeAt.
func (r *syncRun) pause(ctx context.Context, tx pgx.Tx, resumeAt time.Time) error {
	err := r.p.wh.PauseRun(ctx, tx, r.ID, resumeAt, "")
	if errors.Is(err, warehouse.ErrRunNotActive) {
		return nil // it ended meanwhile; nothing to pause
	}
	return err
}

// resume reopens a failed or cancelled run and enqueues the next page of each
// unfinished slice but except (the one whose job is doing the resuming), so
// the whole run continues from its checkpoint. It returns
// warehouse.ErrRunConflict when a newer run of the stream is active.
func (r *syncRun) resume(ctx context.Context, tx pgx.Tx, except int) error {
	if err := r.p.wh.ReopenRun(ctx, tx, r.ID); err != nil {
		return err
	}
	slices, err := r.p.wh.Slices(ctx, tx, r.ID)
	if err != nil {
		return err
	}
	for _, sl := range slices {
		if sl.Done || sl.N == except {
			continue
		}
		if err := r.enqueue(ctx, tx, sl.N, sl.Page); err != nil {
			return err
		}
	}
	r.Status = warehouse.RunRunning
	r.p.log.LogAttrs(ctx, slog.LevelInfo, "jobs: run resumed",
		slog.String("account", r.a.Name), slog.String("stream", r.s.Name), slog.Int64("run_id", r.ID))
	return nil
}

// fail ends the run as failed with reason, opening an incident of kind
// (IncidentRunFailed, IncidentJobDiscarded; none when empty), and cancels
// its jobs but self, so its parallel slices stop too. Retrying any of its
// jobs resumes it.
func (r *syncRun) fail(ctx context.Context, tx pgx.Tx, self int64, incident, reason string) error {
	return r.end(ctx, tx, warehouse.RunFailed, self, incident, reason)
}

// cancel ends the run as cancelled with reason and cancels its jobs but self.
func (r *syncRun) cancel(ctx context.Context, tx pgx.Tx, self int64, reason string) error {
	return r.end(ctx, tx, warehouse.RunCancelled, self, "", reason)
}

// end records the run's final status and, unless it succeeded (its jobs are
// done then), cancels its live jobs but self. A run that already ended keeps
// its status; its live jobs are cancelled all the same. Ending it opens
// an incident of kind incident (when not empty); succeeding resolves those
// its success ends. Both on tx, so a notification is sent if and only if
// what it tells of was recorded.
func (r *syncRun) end(ctx context.Context, tx pgx.Tx, status warehouse.RunStatus, self int64, incident, reason string) error {
	err := r.p.wh.FinishRun(ctx, tx, r.ID, status, reason)
	switch {
	case errors.Is(err, warehouse.ErrRunNotActive):
	case err != nil:
		return err
	default:
		switch {
		case status == warehouse.RunSucceeded:
			err = r.p.resolveIncidents(ctx, tx, r.a, r.s.Name, r.Kind)
		case incident != "":
			err = r.p.openIncident(ctx, tx, r.a, warehouse.Incident{
				Stream: r.s.Name, Kind: incident, RunKind: string(r.Kind), Detail: reason, RunID: r.ID})
		}
		if err != nil {
			return err
		}
		r.Status = status
		level := slog.LevelInfo
		if status == warehouse.RunFailed {
			level = slog.LevelError
		}
		r.p.log.LogAttrs(ctx, level, "jobs: run "+string(status),
			slog.String("account", r.a.Name), slog.String("stream", r.s.Name), slog.Int64("run_id", r.ID),
			slog.String("kind", string(r.Kind)), slog.String("reason", reason))
	}
	if status == warehouse.RunSucceeded {
		return nil
	}
	return r.p.cancelJobs(ctx, tx, r.a, self, r.ID)
}

// hasLiveJobs reports whether any page job of the run is waiting or running.
func (r *syncRun) hasLiveJobs(ctx context.Context, tx pgx.Tx) (bool, error) {
	res, err := r.p.river.JobListTx(ctx, tx, r.p.liveJobs(r.a, r.ID).First(1))
	if err != nil {
		return false, fmt.Errorf("jobs of run %d: %w", r.ID, err)
	}
	return len(res.Jobs) > 0, nil
}

// liveStates are the states of a job that has not ended.
var liveStates = []rivertype.JobState{rivertype.JobStateAvailable, rivertype.JobStatePending,
	rivertype.JobStateRunning, rivertype.JobStateRetryable, rivertype.JobStateScheduled}

// liveJobs lists the account's page jobs that have not ended (of run runID
// only, unless 0).
func (p *Pipeline) liveJobs(a *account, runID int64) *river.JobListParams {
	params := river.NewJobListParams().Queues(a.queue).Kinds(KindPage).States(liveStates...)
	if runID != 0 {
		params = params.Where("args @> jsonb_build_object('run_id', @run_id::bigint)", river.NamedArgs{"run_id": runID})
	}
	return params
}

// cancelJobs cancels the page jobs of the account (of run runID only, unless
// 0) that have not ended, except self.
func (p *Pipeline) cancelJobs(ctx context.Context, tx pgx.Tx, a *account, self, runID int64) error {
	params := p.liveJobs(a, runID).First(10_000)
	for {
		res, err := p.river.JobListTx(ctx, tx, params)
		if err != nil {
			return fmt.Errorf("list jobs to cancel: %w", err)
		}
		for _, j := range res.Jobs {
			if j.ID == self {
				continue
			}
			if _, err := p.river.JobCancelTx(ctx, tx, j.ID); err != nil {
				return fmt.Errorf("cancel job %d: %w", j.ID, err)
			}
		}
		if res.LastCursor == nil || len(res.Jobs) < 10_000 {
			return nil
		}
		params = params.After(res.LastCursor)
	}
}

// rejectKey records Keap rejecting an account's key on tx: every active run
// of the account fails with a reason that says so, and every other live job
// of the account is cancelled, so no further call is made with the rejected
// key.
func (p *Pipeline) rejectKey(ctx context.Context, tx pgx.Tx, a *account, self int64, cause error) error {
	reason := fmt.Sprintf("account %s: Keap rejected the API key (%v); set a valid key for this account, then run `keapsync sync --account %s`",
		a.Name, cause, a.Name)
	runs, err := p.wh.ActiveRuns(ctx, tx, a.Name)
	if err != nil {
		return err
	}
	for _, run := range runs {
		// One incident for the account, not one per stream.
		if err := p.ownRun(a, run).fail(ctx, tx, self, "", reason); err != nil {
			return err
		}
	}
	if err := p.openIncident(ctx, tx, a, warehouse.Incident{Kind: IncidentKeyRejected, Detail: reason}); err != nil {
		return err
	}
	return p.cancelJobs(ctx, tx, a, self, 0)
}
