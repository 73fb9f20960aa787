package warehouse

import (
	"context"
	"fmt"
)

// Pause records that an operator paused account's stream (every stream of
// the account when stream is empty).
func (w *Warehouse) Pause(ctx context.Context, ex Executor, account, stream string) error {
	_, err := ex.Exec(ctx, w.sql(`INSERT INTO /* TEMPLATE: state */paused (account, stream) VALUES ($1, $2) ON CONFLICT DO NOTHING`), account, stream)
	if err != nil {
		return fmt.Errorf("warehouse: pause %s %s: %w", account, stream, err)
	}
	return nil
}

// Resume lifts the pause of account's stream; with stream empty, the
// account's and every one of its streams'.
func (w *Warehouse) Resume(ctx context.Context, ex Executor, account, stream string) error {
	_, err := ex.Exec(ctx, w.sql(`DELETE FROM /* TEMPLATE: state */paused WHERE account = $1 AND ($2 = '' OR stream = $2)`), account, stream)
	if err != nil {
		return fmt.Errorf("warehouse: resume %s %s: %w", account, stream, err)
	}
	return nil
}

// Paused reports whether account's stream is paused, by itself or with
// the whole account.
func (w *Warehouse) Paused(ctx context.Context, ex Executor, account, stream string) (bool, error) {
	var paused bool
	err := ex.QueryRow(ctx, w.sql(`SELECT EXISTS (SELECT 1 FROM /* TEMPLATE: state */paused WHERE account = $1 AND stream IN ('', $2))`),
		account, stream).Scan(&paused)
	if err != nil {
		return false, fmt.Errorf("warehouse: paused %s %s: %w", account, stream, err)
	}
	return paused, nil
}
