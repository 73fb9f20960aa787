package warehouse

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// Pause records that an operator paused account's stream (every stream of
// the account when stream is empty).
func (w *Warehouse) Pause(ctx context.Context, ex Executor, account, stream string) error {
	_, err := ex.Exec(ctx, w.control.pause, account, stream)
	if err != nil {
		return fmt.Errorf("warehouse: pause %s %s: %w", account, stream, err)
	}
	return nil
}

// Resume lifts the pause of account's stream; with stream empty, the
// account's and every one of its streams'.
func (w *Warehouse) Resume(ctx context.Context, ex Executor, account, stream string) error {
	_, err := ex.Exec(ctx, w.control.resume, account, stream)
	if err != nil {
		return fmt.Errorf("warehouse: resume %s %s: %w", account, stream, err)
	}
	return nil
}

// Paused reports whether account's stream is paused, by itself or with
// the whole account.
func (w *Warehouse) Paused(ctx context.Context, ex Executor, account, stream string) (bool, error) {
	var paused bool
	err := ex.QueryRow(ctx, w.control.paused, account, stream).Scan(&paused)
	if err != nil {
		return false, fmt.Errorf("warehouse: paused %s %s: %w", account, stream, err)
	}
	return paused, nil
}

// PausedStreams returns what of account is paused: its stream names, and
// "" when the whole account is. One query, for a status of every stream.
func (w *Warehouse) PausedStreams(ctx context.Context, ex Executor, account string) (map[string]bool, error) {
	rows, err := ex.Query(ctx, w.control.pausedOf, account)
	if err != nil {
		return nil, fmt.Errorf("warehouse: paused streams of %s: %w", account, err)
	}
	streams, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("warehouse: paused streams of %s: %w", account, err)
	}
	out := make(map[string]bool, len(streams))
	for _, s := range streams {
		out[s] = true
	}
	return out, nil
}
