package warehouse

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

type stateSQL struct {
	getCheckpoint   string
	saveCheckpoint  string
	resetCheckpoint string
	startRun        string
	getRun          string
	addProgress     string
	pauseRun        string
	resumeRun       string
	finishRun       string
	reserve         string
	observe         string
	refreshCFView   string
}

const checkpointCols = `account, stream, mode, high_water_time, high_water_id, page_token, page_offset, last_id, run_id, updated_at`

// advances is true when the new high-water mark is past the stored one,
// comparing (update time, id) with NULL lowest.
const advances = `(coalesce(EXCLUDED.high_water_time, '-infinity'), coalesce(EXCLUDED.high_water_id, -9223372036854775808))
	> (coalesce(c.high_water_time, '-infinity'), coalesce(c.high_water_id, -9223372036854775808))`

const runCols = `id, account, stream, trigger, status, started_at, finished_at, resume_at,
	pages, rows_inserted, rows_updated, rows_unchanged, rows_deleted, api_calls, last_error`

func renderState(state, data string) stateSQL {
	r := func(sql string) string { return render(sql, data, state) }
	return stateSQL{
		getCheckpoint: r(`SELECT ` + checkpointCols + ` FROM /* TEMPLATE: state */checkpoints WHERE account = $1 AND stream = $2`),
		saveCheckpoint: r(`INSERT INTO /* TEMPLATE: state */checkpoints AS c (account, stream, mode, high_water_time, high_water_id, page_token, page_offset, last_id, run_id)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
ON CONFLICT (account, stream) DO UPDATE SET
	mode = EXCLUDED.mode,
	high_water_time = CASE WHEN ` + advances + ` THEN EXCLUDED.high_water_time ELSE c.high_water_time END,
	high_water_id = CASE WHEN ` + advances + ` THEN EXCLUDED.high_water_id ELSE c.high_water_id END,
	page_token = EXCLUDED.page_token,
	page_offset = EXCLUDED.page_offset,
	last_id = EXCLUDED.last_id,
	run_id = EXCLUDED.run_id,
	updated_at = now()
RETURNING ` + checkpointCols),
		resetCheckpoint: r(`DELETE FROM /* TEMPLATE: state */checkpoints WHERE account = $1 AND stream = $2`),

		startRun: r(`INSERT INTO /* TEMPLATE: state */sync_runs (account, stream, trigger) VALUES ($1, $2, $3) RETURNING ` + runCols),
		getRun:   r(`SELECT ` + runCols + ` FROM /* TEMPLATE: state */sync_runs WHERE id = $1`),
		addProgress: r(`UPDATE /* TEMPLATE: state */sync_runs SET
	pages = pages + $2, rows_inserted = rows_inserted + $3, rows_updated = rows_updated + $4,
	rows_unchanged = rows_unchanged + $5, rows_deleted = rows_deleted + $6, api_calls = api_calls + $7
WHERE id = $1 AND finished_at IS NULL`),
		pauseRun: r(`UPDATE /* TEMPLATE: state */sync_runs SET status = 'paused_quota', resume_at = $2, last_error = coalesce($3, last_error)
WHERE id = $1 AND finished_at IS NULL`),
		resumeRun: r(`UPDATE /* TEMPLATE: state */sync_runs SET status = 'running', resume_at = NULL
WHERE id = $1 AND finished_at IS NULL`),
		finishRun: r(`UPDATE /* TEMPLATE: state */sync_runs SET status = $2, finished_at = now(), resume_at = NULL, last_error = coalesce($3, last_error)
WHERE id = $1 AND finished_at IS NULL`),

		reserve:       r(`SELECT ok, at, refused_by FROM /* TEMPLATE: state */quota_reserve($1, $2, $3, $4, $5, $6, $7, $8, $9)`),
		observe:       r(`SELECT /* TEMPLATE: state */quota_observe($1, $2, $3, $4, $5, $6, $7, $8, $9)`),
		refreshCFView: r(`SELECT /* TEMPLATE: state */refresh_custom_field_view($1)`),
	}
}

// Checkpoint is where a stream of an account resumes.
type Checkpoint struct {
	Account string
	Stream  string

	// Mode is how the stream finds changes (the catalogue's SyncMode name:
	// time_filter, update_order, full_scan, single).
	Mode string

	// HighWaterTime and HighWaterID are the newest record fully synced:
	// its update time, and its id to break ties. Zero values mean none.
	// They only move forward, except through ResetCheckpoint.
	HighWaterTime time.Time
	HighWaterID   int64

	// PageToken, PageOffset and LastID are the position of the run in
	// progress (whichever the stream paginates by); zero values mean none.
	PageToken  string
	PageOffset int64
	LastID     int64

	// RunID is the sync run that last saved the checkpoint (0: none).
	RunID int64

	// UpdatedAt is when the checkpoint was last saved (database clock).
	UpdatedAt time.Time
}

// Checkpoint returns the checkpoint of account's stream, and false if there
// is none.
func (w *Warehouse) Checkpoint(ctx context.Context, ex Executor, account, stream string) (Checkpoint, bool, error) {
	cp, err := scanCheckpoint(ex.QueryRow(ctx, w.state.getCheckpoint, account, stream))
	if errors.Is(err, pgx.ErrNoRows) {
		return Checkpoint{}, false, nil
	}
	if err != nil {
		return Checkpoint{}, false, fmt.Errorf("warehouse: get checkpoint %s/%s: %w", account, stream, err)
	}
	return cp, true, nil
}

// SaveCheckpoint stores cp and returns the checkpoint as stored. The
// high-water mark never moves backward: a cp older than the stored mark
// keeps the stored mark (and still saves cp's mode, position and run). Pass
// the transaction that writes the page the checkpoint follows.
func (w *Warehouse) SaveCheckpoint(ctx context.Context, ex Executor, cp Checkpoint) (Checkpoint, error) {
	if cp.Account == "" || cp.Stream == "" || cp.Mode == "" {
		return Checkpoint{}, fmt.Errorf("warehouse: save checkpoint: account, stream and mode are required")
	}
	stored, err := scanCheckpoint(ex.QueryRow(ctx, w.state.saveCheckpoint,
		cp.Account, cp.Stream, cp.Mode, nullTime(cp.HighWaterTime), nullInt(cp.HighWaterID),
		nullString(cp.PageToken), nullInt(cp.PageOffset), nullInt(cp.LastID), nullInt(cp.RunID)))
	if err != nil {
		return Checkpoint{}, fmt.Errorf("warehouse: save checkpoint %s/%s: %w", cp.Account, cp.Stream, err)
	}
	return stored, nil
}

// ResetCheckpoint deletes the checkpoint of account's stream, so its next
// sync starts from the beginning. It is the only way back.
func (w *Warehouse) ResetCheckpoint(ctx context.Context, ex Executor, account, stream string) error {
	if _, err := ex.Exec(ctx, w.state.resetCheckpoint, account, stream); err != nil {
		return fmt.Errorf("warehouse: reset checkpoint %s/%s: %w", account, stream, err)
	}
	return nil
}

func scanCheckpoint(row pgx.Row) (Checkpoint, error) {
	var (
		cp                          Checkpoint
		hwTime                      *time.Time
		hwID, offset, lastID, runID *int64
		token                       *string
	)
	err := row.Scan(&cp.Account, &cp.Stream, &cp.Mode, &hwTime, &hwID, &token, &offset, &lastID, &runID, &cp.UpdatedAt)
	if err != nil {
		return Checkpoint{}, err
	}
	cp.HighWaterTime, cp.HighWaterID = deref(hwTime), deref(hwID)
	cp.PageToken, cp.PageOffset, cp.LastID, cp.RunID = deref(token), deref(offset), deref(lastID), deref(runID)
	return cp, nil
}

// Trigger is what started a sync run.
type Trigger string

// The triggers.
const (
	TriggerSchedule Trigger = "schedule"
	TriggerManual   Trigger = "manual"
	TriggerRetry    Trigger = "retry"
)

// RunStatus is the state of a sync run.
type RunStatus string

// The run statuses. Succeeded, failed and cancelled are final.
const (
	RunRunning     RunStatus = "running"
	RunPausedQuota RunStatus = "paused_quota" // waiting for the quota reset at ResumeAt
	RunSucceeded   RunStatus = "succeeded"
	RunFailed      RunStatus = "failed"
	RunCancelled   RunStatus = "cancelled"
)

// SyncRun is one sync of one stream of one account.
type SyncRun struct {
	ID         int64
	Account    string
	Stream     string
	Trigger    Trigger
	Status     RunStatus
	StartedAt  time.Time
	FinishedAt time.Time // zero while the run is not final
	ResumeAt   time.Time // zero unless paused for quota
	RunProgress
	LastError string
}

// RunProgress are a run's counters.
type RunProgress struct {
	Pages         int64
	RowsInserted  int64
	RowsUpdated   int64
	RowsUnchanged int64
	RowsDeleted   int64
	APICalls      int64
}

// Progress returns the counters of one written page.
func (r UpsertResult) Progress() RunProgress {
	return RunProgress{Pages: 1, RowsInserted: int64(r.Inserted), RowsUpdated: int64(r.Updated), RowsUnchanged: int64(r.Unchanged)}
}

// ErrRunNotActive is returned (wrapped) when a run to update does not exist
// or is already final.
var ErrRunNotActive = errors.New("no running or paused sync run with that id")

// ErrInvalidRunState is returned (wrapped) for an unknown trigger or a
// status a call cannot set.
var ErrInvalidRunState = errors.New("invalid sync run trigger or status")

// StartRun records the start of a sync run (database clock) and returns it.
func (w *Warehouse) StartRun(ctx context.Context, ex Executor, account, stream string, trigger Trigger) (SyncRun, error) {
	switch trigger {
	case TriggerSchedule, TriggerManual, TriggerRetry:
	default:
		return SyncRun{}, fmt.Errorf("warehouse: start run: trigger %q: %w", trigger, ErrInvalidRunState)
	}
	run, err := scanRun(ex.QueryRow(ctx, w.state.startRun, account, stream, string(trigger)))
	if err != nil {
		return SyncRun{}, fmt.Errorf("warehouse: start run %s/%s: %w", account, stream, err)
	}
	return run, nil
}

// Run returns the sync run id.
func (w *Warehouse) Run(ctx context.Context, ex Executor, id int64) (SyncRun, error) {
	run, err := scanRun(ex.QueryRow(ctx, w.state.getRun, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return SyncRun{}, fmt.Errorf("warehouse: get run %d: %w", id, ErrRunNotActive)
	}
	if err != nil {
		return SyncRun{}, fmt.Errorf("warehouse: get run %d: %w", id, err)
	}
	return run, nil
}

// AddRunProgress adds p to the counters of run id.
func (w *Warehouse) AddRunProgress(ctx context.Context, ex Executor, id int64, p RunProgress) error {
	return w.updateRun(ctx, ex, "add run progress", id, w.state.addProgress,
		p.Pages, p.RowsInserted, p.RowsUpdated, p.RowsUnchanged, p.RowsDeleted, p.APICalls)
}

// PauseRun marks run id paused for quota until resumeAt. lastError, unless
// empty, replaces the run's last error: the caller must have scrubbed it of
// secrets, as it is stored as given.
func (w *Warehouse) PauseRun(ctx context.Context, ex Executor, id int64, resumeAt time.Time, lastError string) error {
	if resumeAt.IsZero() {
		return fmt.Errorf("warehouse: pause run %d: no resume time: %w", id, ErrInvalidRunState)
	}
	return w.updateRun(ctx, ex, "pause run", id, w.state.pauseRun, resumeAt, nullString(lastError))
}

// ResumeRun marks a paused run id running again.
func (w *Warehouse) ResumeRun(ctx context.Context, ex Executor, id int64) error {
	return w.updateRun(ctx, ex, "resume run", id, w.state.resumeRun)
}

// FinishRun ends run id with a final status (succeeded, failed or
// cancelled). lastError, unless empty, replaces the run's last error; it is
// stored as given, so the caller must have scrubbed it of secrets.
func (w *Warehouse) FinishRun(ctx context.Context, ex Executor, id int64, status RunStatus, lastError string) error {
	switch status {
	case RunSucceeded, RunFailed, RunCancelled:
	default:
		return fmt.Errorf("warehouse: finish run %d: status %q: %w", id, status, ErrInvalidRunState)
	}
	return w.updateRun(ctx, ex, "finish run", id, w.state.finishRun, string(status), nullString(lastError))
}

func (w *Warehouse) updateRun(ctx context.Context, ex Executor, op string, id int64, sql string, args ...any) error {
	tag, err := ex.Exec(ctx, sql, append([]any{id}, args...)...)
	if err != nil {
		return fmt.Errorf("warehouse: %s %d: %w", op, id, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("warehouse: %s %d: %w", op, id, ErrRunNotActive)
	}
	return nil
}

func scanRun(row pgx.Row) (SyncRun, error) {
	var (
		r                SyncRun
		trigger, status  string
		finished, resume *time.Time
		lastError        *string
	)
	err := row.Scan(&r.ID, &r.Account, &r.Stream, &trigger, &status, &r.StartedAt, &finished, &resume,
		&r.Pages, &r.RowsInserted, &r.RowsUpdated, &r.RowsUnchanged, &r.RowsDeleted, &r.APICalls, &lastError)
	if err != nil {
		return SyncRun{}, err
	}
	r.Trigger, r.Status = Trigger(trigger), RunStatus(status)
	r.FinishedAt, r.ResumeAt, r.LastError = deref(finished), deref(resume), deref(lastError)
	return r, nil
}

// RefreshCustomFieldView rebuilds the view exposing entity's custom fields
// as named, typed columns (entity is "contacts", "companies",
// "opportunities" or "orders"; the view is <entity>_custom) from the stored
// definitions, and returns its number of custom columns. The pipeline calls
// it after syncing the definitions.
func (w *Warehouse) RefreshCustomFieldView(ctx context.Context, ex Executor, entity string) (int, error) {
	var n int
	if err := ex.QueryRow(ctx, w.state.refreshCFView, entity).Scan(&n); err != nil {
		return 0, fmt.Errorf("warehouse: refresh custom field view of %s: %w", entity, err)
	}
	return n, nil
}

func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}

func nullInt(n int64) any {
	if n == 0 {
		return nil
	}
	return n
}

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
