package warehouse

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Incident is something an operator is told of, from the failure that
// opened it to the recovery that resolved it.
type Incident struct {
	ID      int64
	Account string
	// Stream is empty for what concerns the whole account.
	Stream string
	// Kind is what happened: run_failed, job_discarded, key_rejected,
	// stale.
	Kind string
	// RunKind is the failed run's kind (sync, reconcile); empty otherwise.
	RunKind string
	// Detail says what happened; it never holds a secret.
	Detail     string
	RunID      int64
	OpenedAt   time.Time
	ResolvedAt time.Time // zero while open
}

// ErrNoIncident is returned (wrapped) for an incident id that does not
// exist.
var ErrNoIncident = errors.New("no such incident")

type incidentSQL struct{ open, resolve, get, openOf string }

func renderIncidents(state, data string) incidentSQL {
	r := func(sql string) string { return render(sql, data, state) }
	const cols = `id, account, stream, kind, run_kind, detail, coalesce(run_id, 0), opened_at, resolved_at`
	return incidentSQL{
		open: r(`INSERT INTO /* TEMPLATE: state */incidents (account, stream, kind, run_kind, detail, run_id)
VALUES ($1, $2, $3, $4, $5, nullif($6, 0))
ON CONFLICT (account, stream, kind, run_kind) WHERE resolved_at IS NULL DO NOTHING
RETURNING id`),
		resolve: r(`UPDATE /* TEMPLATE: state */incidents SET resolved_at = now()
WHERE account = $1 AND stream = $2 AND kind = ANY($3) AND run_kind = ANY($4) AND resolved_at IS NULL
RETURNING id`),
		get:    r(`SELECT ` + cols + ` FROM /* TEMPLATE: state */incidents WHERE id = $1`),
		openOf: r(`SELECT ` + cols + ` FROM /* TEMPLATE: state */incidents WHERE account = $1 AND resolved_at IS NULL ORDER BY id`),
	}
}

// OpenIncident records in as open, unless one of the same account, stream,
// kind and run kind is open already. It returns the new incident's id, and
// 0 when one was open: the caller notifies only of a new one.
func (w *Warehouse) OpenIncident(ctx context.Context, ex Executor, in Incident) (int64, error) {
	var id int64
	err := ex.QueryRow(ctx, w.incidents.open, in.Account, in.Stream, in.Kind, in.RunKind, in.Detail, in.RunID).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("warehouse: open incident %s of %s %s: %w", in.Kind, in.Account, in.Stream, err)
	}
	return id, nil
}

// ResolveIncidents resolves account's stream's open incidents of the kinds
// and run kinds given, and returns their ids.
func (w *Warehouse) ResolveIncidents(ctx context.Context, ex Executor, account, stream string, kinds, runKinds []string) ([]int64, error) {
	rows, err := ex.Query(ctx, w.incidents.resolve, account, stream, kinds, runKinds)
	if err != nil {
		return nil, fmt.Errorf("warehouse: resolve incidents of %s %s: %w", account, stream, err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, fmt.Errorf("warehouse: resolve incidents of %s %s: %w", account, stream, err)
	}
	return ids, nil
}

// GetIncident reads incident id.
func (w *Warehouse) GetIncident(ctx context.Context, ex Executor, id int64) (Incident, error) {
	rows, err := ex.Query(ctx, w.incidents.get, id)
	if err != nil {
		return Incident{}, fmt.Errorf("warehouse: incident %d: %w", id, err)
	}
	in, err := pgx.CollectExactlyOneRow(rows, scanIncident)
	if errors.Is(err, pgx.ErrNoRows) {
		return Incident{}, fmt.Errorf("warehouse: incident %d: %w", id, ErrNoIncident)
	}
	if err != nil {
		return Incident{}, fmt.Errorf("warehouse: incident %d: %w", id, err)
	}
	return in, nil
}

// OpenIncidents lists account's open incidents, oldest first.
func (w *Warehouse) OpenIncidents(ctx context.Context, ex Executor, account string) ([]Incident, error) {
	rows, err := ex.Query(ctx, w.incidents.openOf, account)
	if err != nil {
		return nil, fmt.Errorf("warehouse: open incidents of %s: %w", account, err)
	}
	out, err := pgx.CollectRows(rows, scanIncident)
	if err != nil {
		return nil, fmt.Errorf("warehouse: open incidents of %s: %w", account, err)
	}
	return out, nil
}

func scanIncident(row pgx.CollectableRow) (Incident, error) {
	var in Incident
	var resolved *time.Time
	err := row.Scan(&in.ID, &in.Account, &in.Stream, &in.Kind, &in.RunKind, &in.Detail, &in.RunID, &in.OpenedAt, &resolved)
	in.OpenedAt = in.OpenedAt.UTC()
	in.ResolvedAt = utc(resolved)
	return in, err
}
