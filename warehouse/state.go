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
	setCheckpoint   string
	reserve         string
	observe         string
	refreshCFView   string
	quotaState      string
	quotaForget     string
}

const checkpointCols = `account, stream, mode, high_water_time, high_water_id, run_id, updated_at`

// advances is true when the new high-water mark is past the stored one,
// comparing (update time, id) with NULL lowest.
const advances = `(coalesce(EXCLUDED.high_water_time, '-infinity'), coalesce(EXCLUDED.high_water_id, -9223372036854775808))
	> (coalesce(c.high_water_time, '-infinity'), coalesce(c.high_water_id, -9223372036854775808))`

func renderState(state, data string) stateSQL {
	r := func(sql string) string { return render(sql, data, state) }
	return stateSQL{
		getCheckpoint: r(`SELECT ` + checkpointCols + ` FROM /* TEMPLATE: state */checkpoints WHERE account = $1 AND stream = $2`),
		saveCheckpoint: r(`INSERT INTO /* TEMPLATE: state */checkpoints AS c (account, stream, mode, high_water_time, high_water_id, run_id)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (account, stream) DO UPDATE SET
	mode = EXCLUDED.mode,
	high_water_time = CASE WHEN ` + advances + ` THEN EXCLUDED.high_water_time ELSE c.high_water_time END,
	high_water_id = CASE WHEN ` + advances + ` THEN EXCLUDED.high_water_id ELSE c.high_water_id END,
	run_id = EXCLUDED.run_id,
	updated_at = now()
RETURNING ` + checkpointCols),
		resetCheckpoint: r(`DELETE FROM /* TEMPLATE: state */checkpoints WHERE account = $1 AND stream = $2`),
		setCheckpoint: r(`INSERT INTO /* TEMPLATE: state */checkpoints AS c (account, stream, mode, high_water_time)
VALUES ($1, $2, $3, $4)
ON CONFLICT (account, stream) DO UPDATE SET
	mode = EXCLUDED.mode, high_water_time = EXCLUDED.high_water_time, high_water_id = NULL, run_id = NULL, updated_at = now()
RETURNING ` + checkpointCols),

		reserve:       r(`SELECT ok, at, refused_by, db_now FROM /* TEMPLATE: state */quota_reserve($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`),
		observe:       r(`SELECT /* TEMPLATE: state */quota_observe($1, $2, $3, $4, $5, $6, $7, $8, $9)`),
		refreshCFView: r(`SELECT /* TEMPLATE: state */refresh_custom_field_view($1)`),
		quotaState: r(`SELECT day_count, day_reset_at, day_limit, window_limit,
	(SELECT count(*) FROM unnest(slots) s WHERE s > n.now - $3::interval AND s <= n.now), last_at, n.now
FROM /* TEMPLATE: state */quota_ledger, (SELECT coalesce($2::timestamptz, clock_timestamp()) AS now) n WHERE account = $1`),
		quotaForget: r(`UPDATE /* TEMPLATE: state */quota_ledger SET
	day_count = 0, day_reset_at = NULL, day_limit = NULL, window_limit = NULL, spike_interval = NULL
WHERE $1 = '' OR account = $1`),
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
// keeps the stored mark (and still saves cp's mode and run). Pass
// the transaction that writes the page the checkpoint follows.
func (w *Warehouse) SaveCheckpoint(ctx context.Context, ex Executor, cp Checkpoint) (Checkpoint, error) {
	if cp.Account == "" || cp.Stream == "" || cp.Mode == "" {
		return Checkpoint{}, fmt.Errorf("warehouse: save checkpoint: account, stream and mode are required")
	}
	stored, err := scanCheckpoint(ex.QueryRow(ctx, w.state.saveCheckpoint,
		cp.Account, cp.Stream, cp.Mode, nullTime(cp.HighWaterTime), nullInt(cp.HighWaterID),
		nullInt(cp.RunID)))
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

// SetCheckpoint puts the high-water mark of account's stream at t,
// backwards too: the operator's fix for a wrong mark (the next sync reads
// what changed since t, less the overlap).
func (w *Warehouse) SetCheckpoint(ctx context.Context, ex Executor, account, stream, mode string, t time.Time) (Checkpoint, error) {
	cp, err := scanCheckpoint(ex.QueryRow(ctx, w.state.setCheckpoint, account, stream, mode, t.UTC()))
	if err != nil {
		return Checkpoint{}, fmt.Errorf("warehouse: set checkpoint %s/%s: %w", account, stream, err)
	}
	return cp, nil
}

func scanCheckpoint(row pgx.Row) (Checkpoint, error) {
	var (
		cp          Checkpoint
		hwTime      *time.Time
		hwID, runID *int64
	)
	err := row.Scan(&cp.Account, &cp.Stream, &cp.Mode, &hwTime, &hwID, &runID, &cp.UpdatedAt)
	if err != nil {
		return Checkpoint{}, err
	}
	cp.HighWaterTime, cp.HighWaterID = deref(hwTime), deref(hwID)
	cp.RunID = deref(runID)
	return cp, nil
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
