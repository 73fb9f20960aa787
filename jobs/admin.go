package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/keapsync/keapsync/warehouse"
)

// Job is one of keapsync's River jobs, as operators list them. It holds no
// secret: job arguments never carry one.
type Job struct {
	ID          int64      `json:"id"`
	Kind        string     `json:"kind"`
	State       string     `json:"state"`
	Queue       string     `json:"queue"`
	Account     string     `json:"account"`
	Stream      string     `json:"stream,omitempty"`
	RunID       int64      `json:"run_id,omitempty"`
	Slice       int        `json:"slice,omitempty"`
	Page        int        `json:"page,omitempty"`
	Attempt     int        `json:"attempt"`
	MaxAttempts int        `json:"max_attempts"`
	CreatedAt   time.Time  `json:"created_at"`
	ScheduledAt time.Time  `json:"scheduled_at"`
	AttemptedAt *time.Time `json:"attempted_at"`
	FinalizedAt *time.Time `json:"finalized_at"`
	LastError   string     `json:"last_error,omitempty"`
}

// JobStates are the states a job listing filters on, as River names them.
var JobStates = []string{"available", "pending", "running", "retryable", "scheduled", "completed", "cancelled", "discarded"}

// ErrInvalidJobState is returned (wrapped) for a state that is not one of
// JobStates.
var ErrInvalidJobState = errors.New("invalid job state")

// ErrNotOurJob is returned (wrapped) for a job id that is not one of
// keapsync's jobs.
var ErrNotOurJob = errors.New("not a keapsync job")

// JobFilter selects jobs to list.
type JobFilter struct {
	// States keeps jobs in these states; empty means every state.
	States []string
	// Account keeps one account's jobs; empty means every account.
	Account string
	// Limit bounds the listing (newest first). Default 100.
	Limit int
}

// Jobs lists keapsync's jobs, newest first.
func (p *Pipeline) Jobs(ctx context.Context, f JobFilter) ([]Job, error) {
	params := river.NewJobListParams().Kinds(KindAccountSync, KindPage).
		OrderBy(river.JobListOrderByID, river.SortOrderDesc)
	if f.Limit <= 0 {
		f.Limit = 100
	}
	params = params.First(min(f.Limit, 10_000))
	if len(f.States) > 0 {
		var states []rivertype.JobState
		for _, s := range f.States {
			if !slices.Contains(JobStates, s) {
				return nil, fmt.Errorf("jobs: list: %q: %w (want one of %v)", s, ErrInvalidJobState, JobStates)
			}
			states = append(states, rivertype.JobState(s))
		}
		params = params.States(states...)
	}
	if f.Account != "" {
		if p.accounts[f.Account] == nil {
			return nil, fmt.Errorf("jobs: list: %q: %w", f.Account, ErrUnknownAccount)
		}
		params = params.Queues(queueName(f.Account))
	}
	res, err := p.river.JobList(ctx, params)
	if err != nil {
		return nil, fmt.Errorf("jobs: list: %w", err)
	}
	out := make([]Job, 0, len(res.Jobs))
	for _, j := range res.Jobs {
		out = append(out, jobFromRow(j))
	}
	return out, nil
}

func jobFromRow(j *rivertype.JobRow) Job {
	job := Job{
		ID: j.ID, Kind: j.Kind, State: string(j.State), Queue: j.Queue,
		Attempt: j.Attempt, MaxAttempts: j.MaxAttempts, CreatedAt: j.CreatedAt, ScheduledAt: j.ScheduledAt,
		AttemptedAt: j.AttemptedAt, FinalizedAt: j.FinalizedAt,
	}
	var args struct {
		Account string `json:"account"`
		Stream  string `json:"stream"`
		RunID   int64  `json:"run_id"`
		Slice   int    `json:"slice"`
		Page    int    `json:"page"`
	}
	if json.Unmarshal(j.EncodedArgs, &args) == nil {
		job.Account, job.Stream, job.RunID, job.Slice, job.Page = args.Account, args.Stream, args.RunID, args.Slice, args.Page
	}
	if n := len(j.Errors); n > 0 {
		job.LastError = j.Errors[n-1].Error
	}
	return job
}

// ourJob returns job id if it is one of keapsync's.
func (p *Pipeline) ourJob(ctx context.Context, id int64) (*rivertype.JobRow, error) {
	j, err := p.river.JobGet(ctx, id)
	if errors.Is(err, river.ErrNotFound) {
		return nil, fmt.Errorf("job %d: %w", id, river.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("job %d: %w", id, err)
	}
	if j.Kind != KindPage && j.Kind != KindAccountSync {
		return nil, fmt.Errorf("job %d (%s): %w", id, j.Kind, ErrNotOurJob)
	}
	return j, nil
}

// RetryJobs makes jobs available to run again now. Retrying a page job of
// a failed or cancelled run resumes that run from its checkpoint at once
// (its other unfinished slices too), unless a newer run of the stream is
// active: then the retried job finds nothing to do. A running job is left
// alone.
func (p *Pipeline) RetryJobs(ctx context.Context, ids ...int64) ([]Job, error) {
	var out []Job
	for _, id := range ids {
		row, err := p.ourJob(ctx, id)
		if err != nil {
			return out, fmt.Errorf("jobs: retry: %w", err)
		}
		job := jobFromRow(row)
		err = pgx.BeginFunc(ctx, p.cfg.Pool, func(tx pgx.Tx) error {
			j, err := p.river.JobRetryTx(ctx, tx, id)
			if err != nil {
				return err
			}
			job = jobFromRow(j)
			a := p.accounts[job.Account]
			if job.Kind != KindPage || job.RunID == 0 || a == nil {
				return nil
			}
			run, err := p.wh.Run(ctx, tx, job.RunID)
			if err != nil || !run.Status.Final() || run.Status == warehouse.RunSucceeded {
				return err
			}
			err = p.ownRun(a, run).resume(ctx, tx, job.Slice)
			if errors.Is(err, warehouse.ErrRunConflict) {
				return nil
			}
			return err
		})
		if err != nil {
			return out, fmt.Errorf("jobs: retry job %d: %w", id, err)
		}
		out = append(out, job)
	}
	return out, nil
}

// RetryDiscarded retries every discarded job (of account, unless empty).
func (p *Pipeline) RetryDiscarded(ctx context.Context, account string) ([]Job, error) {
	discarded, err := p.Jobs(ctx, JobFilter{States: []string{"discarded"}, Account: account, Limit: 10_000})
	if err != nil {
		return nil, err
	}
	ids := make([]int64, len(discarded))
	for i, j := range discarded {
		ids[i] = j.ID
	}
	return p.RetryJobs(ctx, ids...)
}

// CancelJobs cancels jobs. Cancelling a page job ends its run as cancelled
// (its other slices' jobs are cancelled too), so nothing is left half
// running; retrying the job later resumes the run from its checkpoint.
func (p *Pipeline) CancelJobs(ctx context.Context, ids ...int64) ([]Job, error) {
	var out []Job
	for _, id := range ids {
		row, err := p.ourJob(ctx, id)
		if err != nil {
			return out, fmt.Errorf("jobs: cancel: %w", err)
		}
		job := jobFromRow(row)
		err = pgx.BeginFunc(ctx, p.cfg.Pool, func(tx pgx.Tx) error {
			j, err := p.river.JobCancelTx(ctx, tx, id)
			if err != nil {
				return err
			}
			job = jobFromRow(j)
			a := p.accounts[job.Account]
			if job.Kind != KindPage || job.RunID == 0 || a == nil {
				return nil
			}
			run, err := p.wh.Run(ctx, tx, job.RunID)
			if errors.Is(err, warehouse.ErrRunNotActive) {
				return nil // the run is gone; cancelling the job was all
			}
			if err != nil {
				return err
			}
			return p.ownRun(a, run).cancel(ctx, tx, id, fmt.Sprintf("cancelled by an operator (job %d)", id))
		})
		if err != nil {
			return out, fmt.Errorf("jobs: cancel job %d: %w", id, err)
		}
		out = append(out, job)
	}
	return out, nil
}
