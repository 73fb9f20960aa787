package warehouse

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgerrcode"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Trigger is what started a sync run.
type Trigger string

// The triggers.
const (
	TriggerSchedule Trigger = "schedule"
	TriggerManual   Trigger = "manual"
	TriggerRetry    Trigger = "retry"
)

// RunKind says what a run does.
type RunKind string

// The run kinds.
const (
	// RunSync copies what changed since the checkpoint (or everything).
	RunSync RunKind = "sync"
	// RunReconcile lists every id of a stream and soft-deletes the rows
	// whose ids are gone, undeleting those that came back.
	RunReconcile RunKind = "reconcile"
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

// Final reports whether s is a final status.
func (s RunStatus) Final() bool {
	return s == RunSucceeded || s == RunFailed || s == RunCancelled
}

// SyncRun is one run of one stream of one account.
type SyncRun struct {
	ID      int64
	Account string
	Stream  string
	Kind    RunKind
	Trigger Trigger
	Status  RunStatus

	// Backfill is set when the run reads everything (a first sync or a
	// full resync).
	Backfill bool

	// WindowSince and WindowUntil bound the update times the run reads;
	// zero means unbounded.
	WindowSince, WindowUntil time.Time

	// AdoptedFrom is the failed run whose unfinished slices this run
	// continued (0: none).
	AdoptedFrom int64

	// Reread is set on an operator's re-read of the time range
	// WindowSince to WindowUntil: it leaves the checkpoint where it is.
	Reread bool

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

// Rows is every row the run wrote or found unchanged.
func (p RunProgress) Rows() int64 {
	return p.RowsInserted + p.RowsUpdated + p.RowsUnchanged
}

// Progress returns the counters of one written page.
func (r UpsertResult) Progress() RunProgress {
	return RunProgress{Pages: 1, RowsInserted: int64(r.Inserted), RowsUpdated: int64(r.Updated), RowsUnchanged: int64(r.Unchanged)}
}

// Slice is one of the parallel readers of a run, with the position it
// resumes from. Zero values mean none (Keap ids are positive).
type Slice struct {
	RunID int64
	// N numbers the slice within its run, from 0.
	N int

	// Since and Until bound the update times this slice reads.
	Since, Until time.Time

	// AfterID is the keyset position: ids above it are left to read.
	// BeforeID, when set, is where the next slice's range starts.
	AfterID, BeforeID int64

	// Probe marks a probe: a slice that reads one page from the top of its
	// id range, descending (to size the split into parallel ranges);
	// ProbeFor is the slice whose remaining range it sizes.
	Probe    bool
	ProbeFor int

	// PageToken and PageOffset are the position of token- and
	// offset-paginated streams.
	PageToken  string
	PageOffset int64

	// Page counts the pages committed; the pending page job carries it.
	Page int

	// Done is set once the slice has read its last page.
	Done bool

	// MaxUpdated is the newest update time read; StopBefore makes a stream
	// read newest-first stop once its records are older.
	MaxUpdated, StopBefore time.Time

	// Records counts the records read.
	Records int64
}

// RunSpec describes a run to start.
type RunSpec struct {
	Account, Stream string
	Kind            RunKind
	Trigger         Trigger
	Backfill        bool

	// WindowSince and WindowUntil bound the update times read; zero means
	// unbounded.
	WindowSince, WindowUntil time.Time

	// AdoptedFrom names the failed run whose slices Slices continue.
	AdoptedFrom int64

	// Reread marks a re-read of the window that leaves the checkpoint.
	Reread bool

	// Slices are the run's initial readers (at least one); their RunID and
	// N are assigned by StartRun.
	Slices []Slice
}

// ErrRunNotActive is returned (wrapped) when a run to update does not exist
// or is already final.
var ErrRunNotActive = errors.New("no running or paused sync run with that id")

// ErrInvalidRunState is returned (wrapped) for an unknown trigger, kind or
// a status a call cannot set.
var ErrInvalidRunState = errors.New("invalid sync run trigger, kind or status")

// ErrRunConflict is returned (wrapped) by ReopenRun when another run of the
// same stream and kind is active.
var ErrRunConflict = errors.New("another run of the stream is active")

const runCols = `id, account, stream, kind, trigger, status, backfill, window_since, window_until, adopted_from, reread,
	started_at, finished_at, resume_at,
	pages, rows_inserted, rows_updated, rows_unchanged, rows_deleted, api_calls, last_error`

const sliceCols = `run_id, slice, since, until, after_id, before_id, descending, probe_for, page_token, page_offset,
	page, done, max_updated, stop_before, records`

type runSQL struct {
	start, get, lock, active, latest, lastOK, activeOf string
	addProgress, pause, resume, finish, reopen         string
	slices, slice, lockSlice, insertSlice, updateSlice string
	seen, seenCount, deleteUnseen, undeleteSeen        string
	clearSeen                                          string
	massConfirmed, massRecord, massClear, massApprove  string
	lastStarts                                         string
	liveRows                                           string
}

func renderRuns(state, data string) runSQL {
	r := func(sql string) string { return render(sql, data, state) }
	return runSQL{
		start: r(`INSERT INTO /* TEMPLATE: state */sync_runs AS s
	(account, stream, kind, trigger, backfill, window_since, window_until, adopted_from, reread)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
ON CONFLICT (account, stream, kind) WHERE finished_at IS NULL DO NOTHING
RETURNING ` + runCols),
		get:    r(`SELECT ` + runCols + ` FROM /* TEMPLATE: state */sync_runs WHERE id = $1`),
		lock:   r(`SELECT ` + runCols + ` FROM /* TEMPLATE: state */sync_runs WHERE id = $1 FOR UPDATE`),
		active: r(`SELECT ` + runCols + ` FROM /* TEMPLATE: state */sync_runs WHERE account = $1 AND stream = $2 AND kind = $3 AND finished_at IS NULL`),
		latest: r(`SELECT ` + runCols + ` FROM /* TEMPLATE: state */sync_runs WHERE account = $1 AND stream = $2 AND kind = $3 ORDER BY id DESC LIMIT 1`),
		lastOK: r(`SELECT ` + runCols + ` FROM /* TEMPLATE: state */sync_runs
WHERE account = $1 AND stream = $2 AND kind = $3 AND status = 'succeeded' ORDER BY finished_at DESC, id DESC LIMIT 1`),
		activeOf: r(`SELECT ` + runCols + ` FROM /* TEMPLATE: state */sync_runs WHERE account = $1 AND finished_at IS NULL ORDER BY id`),
		addProgress: r(`UPDATE /* TEMPLATE: state */sync_runs SET
	pages = pages + $2, rows_inserted = rows_inserted + $3, rows_updated = rows_updated + $4,
	rows_unchanged = rows_unchanged + $5, rows_deleted = rows_deleted + $6, api_calls = api_calls + $7
WHERE id = $1 AND finished_at IS NULL`),
		pause: r(`UPDATE /* TEMPLATE: state */sync_runs SET status = 'paused_quota', resume_at = $2, last_error = coalesce($3, last_error)
WHERE id = $1 AND finished_at IS NULL`),
		resume: r(`UPDATE /* TEMPLATE: state */sync_runs SET status = 'running', resume_at = NULL
WHERE id = $1 AND finished_at IS NULL`),
		finish: r(`UPDATE /* TEMPLATE: state */sync_runs SET status = $2, finished_at = now(), resume_at = NULL, last_error = coalesce($3, last_error)
WHERE id = $1 AND finished_at IS NULL`),
		reopen: r(`UPDATE /* TEMPLATE: state */sync_runs SET status = 'running', finished_at = NULL, resume_at = NULL
WHERE id = $1 AND finished_at IS NOT NULL AND status <> 'succeeded'`),

		slices:    r(`SELECT ` + sliceCols + ` FROM /* TEMPLATE: state */run_slices WHERE run_id = $1 ORDER BY slice`),
		slice:     r(`SELECT ` + sliceCols + ` FROM /* TEMPLATE: state */run_slices WHERE run_id = $1 AND slice = $2`),
		lockSlice: r(`SELECT ` + sliceCols + ` FROM /* TEMPLATE: state */run_slices WHERE run_id = $1 AND slice = $2 FOR UPDATE`),
		insertSlice: r(`INSERT INTO /* TEMPLATE: state */run_slices (` + sliceCols + `)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`),
		updateSlice: r(`UPDATE /* TEMPLATE: state */run_slices SET since = $3, until = $4, after_id = $5, before_id = $6,
	descending = $7, probe_for = $8, page_token = $9, page_offset = $10, page = $11, done = $12, max_updated = $13,
	stop_before = $14, records = $15, updated_at = now()
WHERE run_id = $1 AND slice = $2`),

		seen:      r(`INSERT INTO /* TEMPLATE: state */reconcile_seen (run_id, id) SELECT $1, unnest($2::bigint[]) ON CONFLICT DO NOTHING`),
		seenCount: r(`SELECT count(*) FROM /* TEMPLATE: state */reconcile_seen WHERE run_id = $1`),
		clearSeen: r(`DELETE FROM /* TEMPLATE: state */reconcile_seen WHERE run_id = $1`),
		massConfirmed: r(`SELECT approved OR (run_id IS NOT NULL AND run_id <> $3) FROM /* TEMPLATE: state */mass_deletes
WHERE account = $1 AND stream = $2`),
		massRecord: r(`INSERT INTO /* TEMPLATE: state */mass_deletes (account, stream, run_id, deletes, seen, delete_limit)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (account, stream) DO UPDATE SET run_id = $3, deletes = $4, seen = $5, delete_limit = $6, recorded_at = now()`),
		liveRows: r(`SELECT coalesce(sum(n), 0)::bigint FROM /* TEMPLATE: state */live_rows WHERE account = $1 AND tbl = $2`),
		lastStarts: r(`SELECT stream, max(started_at) FROM /* TEMPLATE: state */sync_runs
WHERE account = $1 AND kind = $2 GROUP BY stream`),
		massClear: r(`DELETE FROM /* TEMPLATE: state */mass_deletes WHERE account = $1 AND stream = $2`),
		massApprove: r(`INSERT INTO /* TEMPLATE: state */mass_deletes (account, stream, approved) VALUES ($1, $2, true)
ON CONFLICT (account, stream) DO UPDATE SET approved = true, recorded_at = now()`),
		// deleteUnseen and undeleteSeen have the data table spliced in by
		// ApplyReconcile (%s).
		deleteUnseen: r(`UPDATE %s t SET _deleted_at = now(), _sync_run_id = $2
WHERE t.account = $1 AND t._deleted_at IS NULL AND t._synced_at < $3
AND NOT EXISTS (SELECT 1 FROM /* TEMPLATE: state */reconcile_seen s WHERE s.run_id = $2 AND s.id = t.id)`),
		undeleteSeen: r(`UPDATE %s t SET _deleted_at = NULL, _sync_run_id = $2
WHERE t.account = $1 AND t._deleted_at IS NOT NULL
AND EXISTS (SELECT 1 FROM /* TEMPLATE: state */reconcile_seen s WHERE s.run_id = $2 AND s.id = t.id)`),
	}
}

// StartRun starts a run of spec's stream, kind and account unless one is
// already active, and returns the run with started true; when one is
// active, it returns that run and started false (the caller joins it). The
// run and its slices are written atomically.
func (w *Warehouse) StartRun(ctx context.Context, ex Executor, spec RunSpec) (run SyncRun, started bool, err error) {
	switch spec.Trigger {
	case TriggerSchedule, TriggerManual, TriggerRetry:
	default:
		return SyncRun{}, false, fmt.Errorf("warehouse: start run: trigger %q: %w", spec.Trigger, ErrInvalidRunState)
	}
	switch spec.Kind {
	case RunSync, RunReconcile:
	default:
		return SyncRun{}, false, fmt.Errorf("warehouse: start run: kind %q: %w", spec.Kind, ErrInvalidRunState)
	}
	if len(spec.Slices) == 0 {
		return SyncRun{}, false, fmt.Errorf("warehouse: start run: no slice: %w", ErrInvalidRunState)
	}
	err = pgx.BeginFunc(ctx, ex, func(tx pgx.Tx) error {
		r, err := scanRun(tx.QueryRow(ctx, w.runs.start, spec.Account, spec.Stream, string(spec.Kind), string(spec.Trigger),
			spec.Backfill, nullTime(spec.WindowSince), nullTime(spec.WindowUntil), nullInt(spec.AdoptedFrom), spec.Reread))
		if errors.Is(err, pgx.ErrNoRows) {
			run, err = scanRun(tx.QueryRow(ctx, w.runs.active, spec.Account, spec.Stream, string(spec.Kind)))
			return err
		}
		if err != nil {
			return err
		}
		run, started = r, true
		for i, s := range spec.Slices {
			s.RunID, s.N = r.ID, i
			if err := w.insertSlice(ctx, tx, s); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return SyncRun{}, false, fmt.Errorf("warehouse: start run %s/%s: %w", spec.Account, spec.Stream, err)
	}
	return run, started, nil
}

// Run returns the sync run id.
func (w *Warehouse) Run(ctx context.Context, ex Executor, id int64) (SyncRun, error) {
	run, err := scanRun(ex.QueryRow(ctx, w.runs.get, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return SyncRun{}, fmt.Errorf("warehouse: get run %d: %w", id, ErrRunNotActive)
	}
	if err != nil {
		return SyncRun{}, fmt.Errorf("warehouse: get run %d: %w", id, err)
	}
	return run, nil
}

// LockRun returns run id locked for update until tx ends: every page
// commit of a run takes this lock first, so the commits of its parallel
// slices are serialized and the last one sees every other slice done.
func (w *Warehouse) LockRun(ctx context.Context, tx pgx.Tx, id int64) (SyncRun, error) {
	run, err := scanRun(tx.QueryRow(ctx, w.runs.lock, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return SyncRun{}, fmt.Errorf("warehouse: lock run %d: %w", id, ErrRunNotActive)
	}
	if err != nil {
		return SyncRun{}, fmt.Errorf("warehouse: lock run %d: %w", id, err)
	}
	return run, nil
}

// ActiveRun returns the active (running or paused) run of account's stream
// of kind, and false if there is none.
func (w *Warehouse) ActiveRun(ctx context.Context, ex Executor, account, stream string, kind RunKind) (SyncRun, bool, error) {
	return w.oneRun(ctx, ex, "active run", w.runs.active, account, stream, string(kind))
}

// LatestRun returns the most recent run of account's stream of kind,
// active or not, and false if there is none.
func (w *Warehouse) LatestRun(ctx context.Context, ex Executor, account, stream string, kind RunKind) (SyncRun, bool, error) {
	return w.oneRun(ctx, ex, "latest run", w.runs.latest, account, stream, string(kind))
}

// LastSuccess returns the most recent succeeded run of account's stream of
// kind, and false if none has succeeded.
func (w *Warehouse) LastSuccess(ctx context.Context, ex Executor, account, stream string, kind RunKind) (SyncRun, bool, error) {
	return w.oneRun(ctx, ex, "last success", w.runs.lastOK, account, stream, string(kind))
}

func (w *Warehouse) oneRun(ctx context.Context, ex Executor, op, sql string, account, stream, kind string) (SyncRun, bool, error) {
	run, err := scanRun(ex.QueryRow(ctx, sql, account, stream, kind))
	if errors.Is(err, pgx.ErrNoRows) {
		return SyncRun{}, false, nil
	}
	if err != nil {
		return SyncRun{}, false, fmt.Errorf("warehouse: %s %s/%s: %w", op, account, stream, err)
	}
	return run, true, nil
}

// ActiveRuns returns every active run of account.
func (w *Warehouse) ActiveRuns(ctx context.Context, ex Executor, account string) ([]SyncRun, error) {
	rows, err := ex.Query(ctx, w.runs.activeOf, account)
	if err != nil {
		return nil, fmt.Errorf("warehouse: active runs of %s: %w", account, err)
	}
	runs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (SyncRun, error) { return scanRun(row) })
	if err != nil {
		return nil, fmt.Errorf("warehouse: active runs of %s: %w", account, err)
	}
	return runs, nil
}

// AddRunProgress adds p to the counters of run id.
func (w *Warehouse) AddRunProgress(ctx context.Context, ex Executor, id int64, p RunProgress) error {
	return w.updateRun(ctx, ex, "add run progress", id, w.runs.addProgress,
		p.Pages, p.RowsInserted, p.RowsUpdated, p.RowsUnchanged, p.RowsDeleted, p.APICalls)
}

// PauseRun marks run id paused for quota until resumeAt. lastError, unless
// empty, replaces the run's last error: the caller must have scrubbed it of
// secrets, as it is stored as given.
func (w *Warehouse) PauseRun(ctx context.Context, ex Executor, id int64, resumeAt time.Time, lastError string) error {
	if resumeAt.IsZero() {
		return fmt.Errorf("warehouse: pause run %d: no resume time: %w", id, ErrInvalidRunState)
	}
	return w.updateRun(ctx, ex, "pause run", id, w.runs.pause, resumeAt, nullString(lastError))
}

// ResumeRun marks a paused run id running again.
func (w *Warehouse) ResumeRun(ctx context.Context, ex Executor, id int64) error {
	return w.updateRun(ctx, ex, "resume run", id, w.runs.resume)
}

// FinishRun ends run id with a final status (succeeded, failed or
// cancelled). lastError, unless empty, replaces the run's last error; it is
// stored as given, so the caller must have scrubbed it of secrets.
func (w *Warehouse) FinishRun(ctx context.Context, ex Executor, id int64, status RunStatus, lastError string) error {
	if !status.Final() {
		return fmt.Errorf("warehouse: finish run %d: status %q: %w", id, status, ErrInvalidRunState)
	}
	return w.updateRun(ctx, ex, "finish run", id, w.runs.finish, string(status), nullString(lastError))
}

// ReopenRun makes a failed or cancelled run id running again, for a retried
// job to continue it from its slices' positions. It fails with
// ErrRunConflict when another run of the stream and kind is active, and
// with ErrRunNotActive when the run is active or succeeded.
func (w *Warehouse) ReopenRun(ctx context.Context, ex Executor, id int64) error {
	// In a savepoint of its own, so a conflict leaves the caller's
	// transaction usable.
	err := pgx.BeginFunc(ctx, ex, func(tx pgx.Tx) error {
		return w.updateRun(ctx, tx, "reopen run", id, w.runs.reopen)
	})
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == pgerrcode.UniqueViolation { // on sync_runs_one_active
		return fmt.Errorf("warehouse: reopen run %d: %w", id, ErrRunConflict)
	}
	return err
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
		r                              SyncRun
		kind, trigger, status          string
		since, until, finished, resume *time.Time
		adopted                        *int64
		lastError                      *string
	)
	err := row.Scan(&r.ID, &r.Account, &r.Stream, &kind, &trigger, &status, &r.Backfill, &since, &until, &adopted, &r.Reread,
		&r.StartedAt, &finished, &resume,
		&r.Pages, &r.RowsInserted, &r.RowsUpdated, &r.RowsUnchanged, &r.RowsDeleted, &r.APICalls, &lastError)
	if err != nil {
		return SyncRun{}, err
	}
	r.Kind, r.Trigger, r.Status = RunKind(kind), Trigger(trigger), RunStatus(status)
	r.WindowSince, r.WindowUntil, r.AdoptedFrom = utc(since), utc(until), deref(adopted)
	r.StartedAt = r.StartedAt.UTC()
	r.FinishedAt, r.ResumeAt, r.LastError = utc(finished), utc(resume), deref(lastError)
	return r, nil
}

// Slices returns the slices of run id in order.
func (w *Warehouse) Slices(ctx context.Context, ex Executor, runID int64) ([]Slice, error) {
	rows, err := ex.Query(ctx, w.runs.slices, runID)
	if err != nil {
		return nil, fmt.Errorf("warehouse: slices of run %d: %w", runID, err)
	}
	slices, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Slice, error) { return scanSlice(row) })
	if err != nil {
		return nil, fmt.Errorf("warehouse: slices of run %d: %w", runID, err)
	}
	return slices, nil
}

// ErrNoSlice is returned (wrapped) for a slice that does not exist.
var ErrNoSlice = errors.New("no such run slice")

// Slice returns slice n of run id.
func (w *Warehouse) Slice(ctx context.Context, ex Executor, runID int64, n int) (Slice, error) {
	return w.getSlice(ctx, ex, "get slice", w.runs.slice, runID, n)
}

// LockSlice returns slice n of run id locked for update until tx ends.
func (w *Warehouse) LockSlice(ctx context.Context, tx pgx.Tx, runID int64, n int) (Slice, error) {
	return w.getSlice(ctx, tx, "lock slice", w.runs.lockSlice, runID, n)
}

func (w *Warehouse) getSlice(ctx context.Context, ex Executor, op, sql string, runID int64, n int) (Slice, error) {
	s, err := scanSlice(ex.QueryRow(ctx, sql, runID, n))
	if errors.Is(err, pgx.ErrNoRows) {
		return Slice{}, fmt.Errorf("warehouse: %s %d/%d: %w", op, runID, n, ErrNoSlice)
	}
	if err != nil {
		return Slice{}, fmt.Errorf("warehouse: %s %d/%d: %w", op, runID, n, err)
	}
	return s, nil
}

// AddSlice adds s to its run (s.RunID and s.N must be set, N unused).
func (w *Warehouse) AddSlice(ctx context.Context, ex Executor, s Slice) error {
	if err := w.insertSlice(ctx, ex, s); err != nil {
		return fmt.Errorf("warehouse: add slice %d/%d: %w", s.RunID, s.N, err)
	}
	return nil
}

func (w *Warehouse) insertSlice(ctx context.Context, ex Executor, s Slice) error {
	_, err := ex.Exec(ctx, w.runs.insertSlice, sliceArgs(s)...)
	return err
}

// SaveSlice stores s's position and counters.
func (w *Warehouse) SaveSlice(ctx context.Context, ex Executor, s Slice) error {
	tag, err := ex.Exec(ctx, w.runs.updateSlice, sliceArgs(s)...)
	if err != nil {
		return fmt.Errorf("warehouse: save slice %d/%d: %w", s.RunID, s.N, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("warehouse: save slice %d/%d: %w", s.RunID, s.N, ErrNoSlice)
	}
	return nil
}

func sliceArgs(s Slice) []any {
	return []any{s.RunID, s.N, nullTime(s.Since), nullTime(s.Until), nullInt(s.AfterID), nullInt(s.BeforeID),
		s.Probe, s.ProbeFor, nullString(s.PageToken), s.PageOffset, s.Page, s.Done, nullTime(s.MaxUpdated), nullTime(s.StopBefore),
		s.Records}
}

func scanSlice(row pgx.Row) (Slice, error) {
	var (
		s                                    Slice
		since, until, maxUpdated, stopBefore *time.Time
		after, before                        *int64
		token                                *string
	)
	err := row.Scan(&s.RunID, &s.N, &since, &until, &after, &before, &s.Probe, &s.ProbeFor, &token, &s.PageOffset,
		&s.Page, &s.Done, &maxUpdated, &stopBefore, &s.Records)
	if err != nil {
		return Slice{}, err
	}
	s.Since, s.Until, s.MaxUpdated, s.StopBefore = utc(since), utc(until), utc(maxUpdated), utc(stopBefore)
	s.AfterID, s.BeforeID, s.PageToken = deref(after), deref(before), deref(token)
	return s, nil
}

// RecordSeen records ids as listed by reconciliation run runID.
func (w *Warehouse) RecordSeen(ctx context.Context, ex Executor, runID int64, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	if _, err := ex.Exec(ctx, w.runs.seen, runID, ids); err != nil {
		return fmt.Errorf("warehouse: record seen ids of run %d: %w", runID, err)
	}
	return nil
}

// ReconcileResult counts what ApplyReconcile changed.
type ReconcileResult struct {
	Seen      int64
	Deleted   int64
	Undeleted int64
}

// ErrTooManyDeletes is what a *TooManyDeletesError is (errors.Is).
var ErrTooManyDeletes = errors.New("reconciliation would soft-delete too many rows")

// NoDeleteLimit lets ApplyReconcile delete any number of rows.
const NoDeleteLimit = -1

// TooManyDeletesError is returned by ApplyReconcile when a listing would
// soft-delete more rows than its limit and nothing confirms it yet: a
// listing that lost most of a table (an empty or broken answer) is more
// likely a fault than a mass deletion. Nothing was deleted; the reading is
// recorded, so a later, independent run that reads the same applies it,
// and so does an operator's approval (ApproveMassDelete).
type TooManyDeletesError struct {
	Table   string
	Deletes int64 // rows the listing would have soft-deleted
	Seen    int64 // ids it listed
	Limit   int64
}

// Error says what was withheld and how it gets applied.
func (e *TooManyDeletesError) Error() string {
	return fmt.Sprintf("%s: %d rows of %s withheld (the listing saw %d ids; one reading may delete %d): "+
		"the next reconciliation applies them if it reads the same, or approve with keapsync sync --reconcile --allow-mass-delete",
		ErrTooManyDeletes, e.Deletes, e.Table, e.Seen, e.Limit)
}

// Is makes errors.Is(err, ErrTooManyDeletes) hold.
func (e *TooManyDeletesError) Is(target error) bool { return target == ErrTooManyDeletes }

// ApplyReconcile ends reconciliation run: in table, the account's rows
// synced before the run started whose ids the run did not list are
// soft-deleted, and soft-deleted rows it listed are undeleted. Rows synced
// after the run started are left alone: a record created during the scan
// may not have been listed. The seen ids are cleared. Call it in the
// transaction that completes the run's last page.
//
// limit (NoDeleteLimit: none) bounds the rows one reading may delete.
// Beyond it the deletes are applied only when confirmed: by an earlier,
// different run of the stream that also went beyond it, or by an
// operator's approval. Otherwise nothing is deleted or undeleted, the
// reading is recorded for the next run to confirm, and a
// *TooManyDeletesError is returned; ex's transaction stays usable, and
// committing it keeps the record.
func (w *Warehouse) ApplyReconcile(ctx context.Context, ex Executor, table string, run SyncRun, limit int64) (ReconcileResult, error) {
	t, err := w.table(table)
	if err != nil {
		return ReconcileResult{}, fmt.Errorf("warehouse: apply reconcile: %w", err)
	}
	var res ReconcileResult
	errWithheld := errors.New("withheld")
	err = pgx.BeginFunc(ctx, ex, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, w.runs.seenCount, run.ID).Scan(&res.Seen); err != nil {
			return err
		}
		q := t.ident.Sanitize()
		tag, err := tx.Exec(ctx, fmt.Sprintf(w.runs.deleteUnseen, q), run.Account, run.ID, run.StartedAt)
		if err != nil {
			return err
		}
		res.Deleted = tag.RowsAffected()
		if limit >= 0 && res.Deleted > limit {
			var confirmed bool
			err := tx.QueryRow(ctx, w.runs.massConfirmed, run.Account, run.Stream, run.ID).Scan(&confirmed)
			if err != nil && !errors.Is(err, pgx.ErrNoRows) {
				return err
			}
			if !confirmed {
				return errWithheld // rolls the deletes back
			}
		}
		if tag, err = tx.Exec(ctx, fmt.Sprintf(w.runs.undeleteSeen, q), run.Account, run.ID); err != nil {
			return err
		}
		res.Undeleted = tag.RowsAffected()
		if _, err := tx.Exec(ctx, w.runs.massClear, run.Account, run.Stream); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, w.runs.clearSeen, run.ID)
		return err
	})
	if errors.Is(err, errWithheld) {
		withheld := &TooManyDeletesError{Table: table, Deletes: res.Deleted, Seen: res.Seen, Limit: limit}
		err = pgx.BeginFunc(ctx, ex, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, w.runs.massRecord, run.Account, run.Stream, run.ID, res.Deleted, res.Seen, limit); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, w.runs.clearSeen, run.ID)
			return err
		})
		if err == nil {
			return ReconcileResult{Seen: res.Seen}, withheld
		}
	}
	if err != nil {
		return ReconcileResult{}, fmt.Errorf("warehouse: apply reconcile %s run %d: %w", table, run.ID, err)
	}
	return res, nil
}

// ApproveMassDelete lets the next reading of account's stream apply its
// deletes whatever their number (once: the approval is used up when they
// are applied).
func (w *Warehouse) ApproveMassDelete(ctx context.Context, ex Executor, account, stream string) error {
	if _, err := ex.Exec(ctx, w.runs.massApprove, account, stream); err != nil {
		return fmt.Errorf("warehouse: approve mass delete of %s %s: %w", account, stream, err)
	}
	return nil
}

// ClearSeen forgets the ids listed by run id (for a run that ends without
// applying them).
func (w *Warehouse) ClearSeen(ctx context.Context, ex Executor, runID int64) error {
	if _, err := ex.Exec(ctx, w.runs.clearSeen, runID); err != nil {
		return fmt.Errorf("warehouse: clear seen ids of run %d: %w", runID, err)
	}
	return nil
}

// utc dereferences a scanned time in UTC (zero when NULL), so times read
// back compare equal to the UTC times written.
func utc(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}

// LiveRows returns how many of account's rows of table are not
// soft-deleted. The count is kept by the table's triggers (migration
// 00014) in the same transaction as every change, so it is exact and costs
// a few rows' read however large the table.
func (w *Warehouse) LiveRows(ctx context.Context, ex Executor, table, account string) (int64, error) {
	if _, err := w.table(table); err != nil {
		return 0, fmt.Errorf("warehouse: live rows: %w", err)
	}
	var n int64
	if err := ex.QueryRow(ctx, w.runs.liveRows, account, table).Scan(&n); err != nil {
		return 0, fmt.Errorf("warehouse: live rows of %s: %w", table, err)
	}
	return n, nil
}

// LastRunStarts returns, per stream, when account's latest run of kind
// started (streams never run are absent).
func (w *Warehouse) LastRunStarts(ctx context.Context, ex Executor, account string, kind RunKind) (map[string]time.Time, error) {
	rows, err := ex.Query(ctx, w.runs.lastStarts, account, string(kind))
	if err != nil {
		return nil, fmt.Errorf("warehouse: last run starts: %w", err)
	}
	defer rows.Close()
	out := map[string]time.Time{}
	for rows.Next() {
		var stream string
		var at time.Time
		if err := rows.Scan(&stream, &at); err != nil {
			return nil, fmt.Errorf("warehouse: last run starts: %w", err)
		}
		out[stream] = at.UTC()
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("warehouse: last run starts: %w", err)
	}
	return out, nil
}
