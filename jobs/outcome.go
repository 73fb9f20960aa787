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

// A failure is what a page job knows when its page could not be fetched,
// mapped or committed: everything classify needs, and nothing else.
type failure struct {
	err error
	// stopping is set when the process is stopping (the job's context was
	// cancelled, not by an operator cancelling the job).
	stopping bool
	// attempt and maxAttempts are River's count of the job's attempts.
	attempt, maxAttempts int
	// now is the pipeline's clock.
	now time.Time
	// account and stream name the run, for its failure's reason.
	account, stream string
	// quotaWait is how long the client blocks for a slot (Config.QuotaWait).
	quotaWait time.Duration
	// dayJitter spreads the wake-ups after a daily reset (Config.SnoozeJitter).
	dayJitter time.Duration
}

// An action is what a failed page job does.
type action int

const (
	// actLeave hands the page to another worker at once, without using an
	// attempt: the process is stopping, and nothing was committed.
	actLeave action = iota
	// actWait snoozes until a per-second or per-minute slot opens; no
	// attempt is used and nothing is recorded.
	actWait
	// actPause snoozes until the day's quota resets and marks the run
	// paused_quota with its resume time.
	actPause
	// actRejectKey fails every active run of the account and cancels its
	// jobs: no further call is made with a key Keap rejected.
	actRejectKey
	// actFail fails the run and cancels the job: retrying cannot help.
	actFail
	// actRetry lets River retry the job with backoff, from the checkpoint.
	actRetry
	// actGiveUp fails the run on the job's last attempt; River discards the
	// job, and retrying it later resumes the run.
	actGiveUp
)

var actionNames = [...]string{"leave", "wait", "pause", "reject_key", "fail", "retry", "give_up"}

func (a action) String() string { return actionNames[a] }

// A decision is what classify makes of a failure.
type decision struct {
	action action
	// until is when a snoozed job wakes, before jitter; jitter is the most
	// that is added at random, and latest, when set, caps the result.
	until, latest time.Time
	jitter        time.Duration
	// window is the quota window that was spent (actWait, actPause).
	window string
	// countCall is set when the attempt reached Keap and brought no page: it
	// counts in the run's calls.
	countCall bool
	// reason is the run's last error when it fails.
	reason string
}

// classify decides what a failed page job does. It is a pure function, the
// one place that decides:
//
//   - the process stopping: leave the page to another worker.
//   - quota spent (a *keap.QuotaError, returned without a network call):
//     snooze until it resets; a spent day also pauses the run.
//   - the key rejected (401/403): reject the key for the whole account.
//   - any other permanent error (a 4xx, an unusable body, a record without
//     an id, a constraint or data error in the warehouse): fail the run.
//   - anything else (5xx, network, truncated bodies, a lost database
//     connection): River retries with backoff, from the checkpoint; on the
//     last attempt the run fails too.
func classify(f failure) decision {
	if f.stopping {
		return decision{action: actLeave, until: f.now.Add(time.Second)}
	}
	var qe *keap.QuotaError
	if errors.As(f.err, &qe) {
		if qe.Window == keap.WindowDay {
			return decision{action: actPause, window: qe.Window, until: qe.RetryAt, jitter: f.dayJitter}
		}
		// Wake a little before the slot opens and block for the rest (the
		// client waits up to QuotaWait): a job waking after it would leave
		// the reopened window idle meanwhile. River leaves a job snoozed for
		// longer than its scheduler's interval (5s) "scheduled" until the
		// scheduler next runs, which can waste seconds of a reopened window:
		// wake a little early instead; the job then blocks for its slot.
		return decision{action: actWait, window: qe.Window, until: qe.RetryAt.Add(-f.quotaWait / 2),
			jitter: f.quotaWait / 4, latest: f.now.Add(maxShortSnooze)}
	}
	if keap.IsAuth(f.err) {
		return decision{action: actRejectKey}
	}
	if permanent(f.err) {
		return decision{action: actFail, reason: fmt.Sprintf("account %s, stream %s: %v", f.account, f.stream, f.err)}
	}
	d := decision{action: actRetry, countCall: !errors.As(f.err, new(*commitError))}
	if f.attempt >= f.maxAttempts {
		d.action = actGiveUp
		d.reason = fmt.Sprintf("account %s, stream %s: gave up after %d attempts: %v (retry the discarded job to continue from the checkpoint)",
			f.account, f.stream, f.attempt, f.err)
	}
	return d
}

// wake is when a snoozed job wakes: until, plus up to jitter at random, and
// no later than latest.
func (d decision) wake() time.Time {
	t := d.until.Add(jitter(d.jitter))
	if !d.latest.IsZero() && t.After(d.latest) {
		t = d.latest
	}
	return t
}

// outcome records a failed page job's decision in one transaction and
// returns River's outcome for the job.
func (p *Pipeline) outcome(jobCtx context.Context, job *river.Job[PageArgs], r *syncRun, err error) error {
	now := p.cfg.Now()
	d := classify(failure{
		err:      err,
		stopping: errors.Is(jobCtx.Err(), context.Canceled) && !errors.Is(context.Cause(jobCtx), river.ErrJobCancelledRemotely),
		attempt:  job.Attempt, maxAttempts: job.MaxAttempts, now: now,
		account: r.a.Name, stream: r.s.Name, quotaWait: p.cfg.QuotaWait, dayJitter: p.cfg.SnoozeJitter,
	})
	wake := d.wake()
	// The bookkeeping must happen even when the job's own deadline has
	// passed (a slow commit), or a run would stay running with no job.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(jobCtx), bookkeepingTimeout)
	defer cancel()
	if d.action != actLeave && d.action != actWait {
		berr := pgx.BeginFunc(ctx, p.cfg.Pool, func(tx pgx.Tx) error { return p.record(ctx, tx, job, r, d, wake, err) })
		switch {
		case berr == nil:
		case d.action == actPause:
			// The job snoozes all the same; only status shows the run
			// running rather than paused until the reset.
			p.log.LogAttrs(ctx, slog.LevelWarn, "jobs: could not mark the run paused",
				slog.Int64("run_id", r.ID), slog.String("error", berr.Error()))
		default:
			// The job's own outcome stands (River retries or ends it), so
			// the error is joined to it rather than replacing it.
			err = errors.Join(err, fmt.Errorf("record the page's failure: %w", berr))
		}
	}
	switch d.action {
	case actLeave:
		p.logger(job.Args).LogAttrs(ctx, slog.LevelInfo, "jobs: stopping; page left for another worker")
		return river.JobSnooze(time.Second)
	case actWait, actPause:
		p.metrics.Snoozed(r.a.Name, r.s.Name, d.window, wake)
		return river.JobSnooze(max(wake.Sub(now), 0))
	case actRejectKey, actFail:
		return river.JobCancel(err)
	}
	return err
}

// record applies decision d of job's failure on tx.
func (p *Pipeline) record(ctx context.Context, tx pgx.Tx, job *river.Job[PageArgs], r *syncRun, d decision, wake time.Time, cause error) error {
	if d.countCall {
		if err := p.wh.AddRunProgress(ctx, tx, r.ID, warehouse.RunProgress{APICalls: 1}); err != nil && !errors.Is(err, warehouse.ErrRunNotActive) {
			return err
		}
	}
	switch d.action {
	case actPause:
		p.log.LogAttrs(ctx, slog.LevelInfo, "jobs: daily quota spent; run paused until the reset",
			slog.String("account", r.a.Name), slog.String("stream", r.s.Name), slog.Int64("run_id", r.ID), slog.Time("resume_at", wake))
		return r.pause(ctx, tx, wake)
	case actRejectKey:
		return p.rejectKey(ctx, tx, r.a, job.ID, cause)
	case actFail:
		return r.fail(ctx, tx, job.ID, IncidentRunFailed, d.reason)
	case actGiveUp:
		return r.fail(ctx, tx, job.ID, IncidentJobDiscarded, d.reason)
	}
	return nil
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
