package jobs

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/keapsync/keapsync/warehouse"
)

// ErrRunActive is returned (wrapped) by ResetCheckpoint while a sync of
// the stream runs: finishing, it would write its own mark over the reset.
var ErrRunActive = errors.New("a sync of this stream is running")

// ResetCheckpoint is the operator's fix for a wrong high-water mark: with
// a zero to it forgets the stream's checkpoint (the next sync reads the
// stream whole), else it puts the mark at to, backwards too (the next sync
// reads what changed since to). It refuses while a sync of the stream
// runs. It returns the checkpoint as it now is (found false when gone).
func (p *Pipeline) ResetCheckpoint(ctx context.Context, account, stream string, to time.Time) (cp warehouse.Checkpoint, found bool, err error) {
	a := p.accounts[account]
	if a == nil {
		return cp, false, fmt.Errorf("jobs: reset checkpoint of %q: %w", account, ErrUnknownAccount)
	}
	s, ok := a.stream(stream)
	if !ok {
		return cp, false, fmt.Errorf("jobs: reset checkpoint: account %s, stream %q: %w", account, stream, ErrUnknownStream)
	}
	err = pgx.BeginFunc(ctx, p.cfg.Pool, func(tx pgx.Tx) error {
		if _, active, err := p.wh.ActiveRun(ctx, tx, account, stream, warehouse.RunSync); err != nil {
			return err
		} else if active {
			return fmt.Errorf("account %s, stream %s: %w: cancel its run first (keapsync jobs cancel) or let it end", account, stream, ErrRunActive)
		}
		if to.IsZero() {
			return p.wh.ResetCheckpoint(ctx, tx, account, stream)
		}
		cp, err = p.wh.SetCheckpoint(ctx, tx, account, stream, s.Mode.String(), to)
		found = err == nil
		return err
	})
	if err != nil {
		return warehouse.Checkpoint{}, false, fmt.Errorf("jobs: reset checkpoint: %w", err)
	}
	return cp, found, nil
}
