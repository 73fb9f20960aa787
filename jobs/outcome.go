package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/keapsync/keapsync/keap"
	"github.com/keapsync/keapsync/warehouse"
)

// outcome maps a page job's failure to River's outcome. It is the one place
// that decides:
//
//   - the process stopping (its work context cancelled): snooze a second,
//     so another worker takes the page; no attempt is used.
//   - quota spent (a *keap.QuotaError, returned without a network call):
//     snooze until it resets, plus a little jitter; no attempt is used and
//     nothing is logged as an error. A spent day also marks the run
//     paused_quota with its resume time.
//   - the key rejected (401/403): every pending job of the account is
//     cancelled and its active runs fail with a message naming the
//     account; no retry storm.
//   - any other permanent error (a 4xx, an unusable body, a record without
//     an id, a constraint or data error in the warehouse): the job is
//     cancelled and its run fails with the reason.
//   - anything else (5xx, network, truncated bodies, a lost database
//     connection): River retries with backoff, from the checkpoint. On the
//     last attempt the run fails too; retrying the discarded job later
//     resumes the run.
func (p *Pipeline) outcome(jobCtx context.Context, job *river.Job[PageArgs], a *account, run warehouse.SyncRun, err error) error {
	ctx := jobCtx
	log := p.logger(job.Args)
	now := p.cfg.Now()
	if errors.Is(ctx.Err(), context.Canceled) && !errors.Is(context.Cause(ctx), river.ErrJobCancelledRemotely) {
		// The process is stopping: hand the page to another worker at
		// once, without using an attempt. Nothing was committed.
		log.LogAttrs(context.WithoutCancel(ctx), slog.LevelInfo, "jobs: stopping; page left for another worker")
		return river.JobSnooze(time.Second)
	}
	// The bookkeeping below must happen even when the job's own deadline
	// has passed (a slow commit), or a run would stay running with no job.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(jobCtx), bookkeepingTimeout)
	defer cancel()
	var qe *keap.QuotaError
	if errors.As(err, &qe) {
		until := qe.RetryAt
		if qe.Window == keap.WindowDay {
			until = until.Add(jitter(p.cfg.SnoozeJitter))
			if perr := p.wh.PauseRun(ctx, p.cfg.Pool, run.ID, until, ""); perr != nil && !errors.Is(perr, warehouse.ErrRunNotActive) {
				log.LogAttrs(ctx, slog.LevelWarn, "jobs: could not mark the run paused", slog.String("error", perr.Error()))
			}
			log.LogAttrs(ctx, slog.LevelInfo, "jobs: daily quota spent; paused until the reset", slog.Time("resume_at", until))
		} else {
			// Wake a little before the slot opens and block for the rest
			// (the client waits up to QuotaWait): a job waking after it
			// would leave the reopened window idle meanwhile.
			until = until.Add(-p.cfg.QuotaWait / 2).Add(jitter(p.cfg.QuotaWait / 4))
			// River leaves a job snoozed for longer than its scheduler's
			// interval (5s) "scheduled" until the scheduler next runs,
			// which can waste seconds of a reopened window: wake a little
			// early instead; the job then blocks for its slot.
			if limit := now.Add(maxShortSnooze); until.After(limit) {
				until = limit
			}
		}
		p.metrics.Snoozed(a.Name, job.Args.Stream, qe.Window, until)
		return river.JobSnooze(max(until.Sub(now), 0))
	}
	if keap.IsAuth(err) {
		p.rejectKey(ctx, a, job.ID, err)
		return river.JobCancel(err)
	}
	if permanent(err) {
		msg := fmt.Sprintf("account %s, stream %s: %v", a.Name, job.Args.Stream, err)
		p.failRun(ctx, a, run, job.ID, msg)
		log.LogAttrs(ctx, slog.LevelError, "jobs: page failed for good; run failed", slog.String("error", err.Error()))
		return river.JobCancel(err)
	}
	if !errors.As(err, new(*commitError)) {
		p.countFailedCall(ctx, run.ID)
	}
	if job.Attempt >= job.MaxAttempts {
		msg := fmt.Sprintf("account %s, stream %s: gave up after %d attempts: %v (retry the discarded job to continue from the checkpoint)",
			a.Name, job.Args.Stream, job.Attempt, err)
		p.failRun(ctx, a, run, job.ID, msg)
		log.LogAttrs(ctx, slog.LevelError, "jobs: page failed on its last attempt; run failed", slog.String("error", err.Error()))
		return err
	}
	log.LogAttrs(ctx, slog.LevelWarn, "jobs: page failed; River retries it", slog.Int("attempt", job.Attempt), slog.String("error", err.Error()))
	return err
}

// bookkeepingTimeout bounds recording a job's outcome in the database.
const bookkeepingTimeout = 15 * time.Second

// maxShortSnooze bounds snoozes for the per-second and per-minute windows
// below River's scheduler interval (5s), so the job stays available.
const maxShortSnooze = 4500 * time.Millisecond

// permanent reports whether retrying err cannot help.
func permanent(err error) bool {
	var ce *commitError
	if errors.As(err, &ce) {
		// A commit cut short by the job's deadline is worth another try.
		if errors.Is(ce.err, context.DeadlineExceeded) {
			return false
		}
		return !warehouse.IsRetryable(ce.err)
	}
	return keap.IsPermanent(err)
}

// jitter is a random duration in [0, d].
func jitter(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	return rand.N(d + 1)
}

// countFailedCall counts an attempt that reached Keap but brought no page.
func (p *Pipeline) countFailedCall(ctx context.Context, runID int64) {
	if err := p.wh.AddRunProgress(ctx, p.cfg.Pool, runID, warehouse.RunProgress{APICalls: 1}); err != nil && !errors.Is(err, warehouse.ErrRunNotActive) {
		p.log.LogAttrs(ctx, slog.LevelWarn, "jobs: could not count a failed call", slog.Int64("run_id", runID), slog.String("error", err.Error()))
	}
}

// failRun ends run as failed with msg and cancels its other jobs, so its
// parallel slices stop too. Retrying any of its jobs resumes it.
func (p *Pipeline) failRun(ctx context.Context, a *account, run warehouse.SyncRun, self int64, msg string) {
	err := pgx.BeginFunc(ctx, p.cfg.Pool, func(tx pgx.Tx) error {
		if err := p.wh.FinishRun(ctx, tx, run.ID, warehouse.RunFailed, msg); err != nil && !errors.Is(err, warehouse.ErrRunNotActive) {
			return err
		}
		return p.cancelJobs(ctx, tx, a, self, run.ID)
	})
	if err != nil {
		p.log.LogAttrs(ctx, slog.LevelError, "jobs: could not record the run's failure",
			slog.String("account", a.Name), slog.Int64("run_id", run.ID), slog.String("error", err.Error()))
	}
}

// rejectKey handles Keap rejecting an account's key: every active run of
// the account fails with a message that says so, and every other pending
// or running job of the account is cancelled, so no further call is made
// with the rejected key.
func (p *Pipeline) rejectKey(ctx context.Context, a *account, self int64, cause error) {
	msg := fmt.Sprintf("account %s: Keap rejected the API key (%v); set a valid key for this account, then run `keapsync sync --account %s`",
		a.Name, cause, a.Name)
	p.log.LogAttrs(ctx, slog.LevelError, "jobs: API key rejected; account's runs failed and jobs cancelled", slog.String("account", a.Name),
		slog.String("error", cause.Error()))
	err := pgx.BeginFunc(ctx, p.cfg.Pool, func(tx pgx.Tx) error {
		runs, err := p.wh.ActiveRuns(ctx, tx, a.Name)
		if err != nil {
			return err
		}
		for _, r := range runs {
			if err := p.wh.FinishRun(ctx, tx, r.ID, warehouse.RunFailed, msg); err != nil && !errors.Is(err, warehouse.ErrRunNotActive) {
				return err
			}
		}
		return p.cancelJobs(ctx, tx, a, self, 0)
	})
	if err != nil {
		p.log.LogAttrs(ctx, slog.LevelError, "jobs: could not record the rejected key", slog.String("account", a.Name), slog.String("error", err.Error()))
	}
}

// cancelJobs cancels the live page jobs of the account (of run runID only,
// unless 0), except self.
func (p *Pipeline) cancelJobs(ctx context.Context, tx pgx.Tx, a *account, self, runID int64) error {
	filter := "{}"
	if runID != 0 {
		filter = fmt.Sprintf(`{"run_id": %d}`, runID)
	}
	rows, err := tx.Query(ctx, fmt.Sprintf(`SELECT id FROM %s.river_job
		WHERE queue = $1 AND args @> $2::jsonb AND id <> $3
		AND state IN ('available', 'pending', 'running', 'retryable', 'scheduled')`,
		pgx.Identifier{p.cfg.RiverSchema}.Sanitize()), a.queue, filter, self)
	if err != nil {
		return fmt.Errorf("list jobs to cancel: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return fmt.Errorf("list jobs to cancel: %w", err)
	}
	for _, id := range ids {
		if _, err := p.river.JobCancelTx(ctx, tx, id); err != nil {
			return fmt.Errorf("cancel job %d: %w", id, err)
		}
	}
	return nil
}
