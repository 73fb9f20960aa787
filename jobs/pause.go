package jobs

import (
	"context"
	"errors"
	"fmt"

	"github.com/riverqueue/river/rivertype"
)

// StatePaused is the state of a stream an operator paused.
const StatePaused = "paused"

// Pause stops account's stream (every stream of the account when stream
// is empty; every account when account is empty too) from starting new
// pages until Resume; pages already running finish. Pausing an account
// also pauses its River queue, which River UI shows. It makes no call.
func (p *Pipeline) Pause(ctx context.Context, account, stream string) error {
	return p.setPaused(ctx, account, stream, true)
}

// Resume lifts Pause: the held page jobs start within Config.PauseRecheck.
// Resuming an account lifts its streams' pauses too.
func (p *Pipeline) Resume(ctx context.Context, account, stream string) error {
	return p.setPaused(ctx, account, stream, false)
}

func (p *Pipeline) setPaused(ctx context.Context, account, stream string, pause bool) error {
	what := "resume"
	if pause {
		what = "pause"
	}
	names := p.order
	if account != "" {
		if p.accounts[account] == nil {
			return fmt.Errorf("jobs: %s %q: %w", what, account, ErrUnknownAccount)
		}
		names = []string{account}
	} else if stream != "" {
		return fmt.Errorf("jobs: %s: a stream needs its account", what)
	}
	for _, name := range names {
		a := p.accounts[name]
		if _, ok := a.stream(stream); stream != "" && !ok {
			return fmt.Errorf("jobs: %s: account %s, stream %q: %w", what, name, stream, ErrUnknownStream)
		}
		var err error
		if pause {
			err = p.wh.Pause(ctx, p.cfg.Pool, name, stream)
		} else {
			err = p.wh.Resume(ctx, p.cfg.Pool, name, stream)
		}
		if err != nil {
			return fmt.Errorf("jobs: %s: %w", what, err)
		}
		if stream != "" {
			continue
		}
		// The account's River queue too, for River UI (it has no row
		// until a process has worked it: our own record holds the pause).
		if pause {
			err = p.river.QueuePause(ctx, a.queue, nil)
		} else {
			err = p.river.QueueResume(ctx, a.queue, nil)
		}
		if err != nil && !errors.Is(err, rivertype.ErrNotFound) {
			return fmt.Errorf("jobs: %s queue %s: %w", what, a.queue, err)
		}
	}
	return nil
}

// queuePaused reports whether a's River queue is paused (by Pause, or in
// River UI).
func (p *Pipeline) queuePaused(ctx context.Context, a *account) (bool, error) {
	q, err := p.river.QueueGet(ctx, a.queue)
	if errors.Is(err, rivertype.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("queue %s: %w", a.queue, err)
	}
	return q.PausedAt != nil, nil
}
