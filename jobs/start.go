package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/keapsync/keapsync/keap"
	"github.com/keapsync/keapsync/warehouse"
)

// SyncRequest asks for runs now.
type SyncRequest struct {
	// Account names the configured account; empty means every account.
	Account string
	// Streams limits the runs to these streams (each must be one of the
	// account's); empty means the account's streams.
	Streams []string
	// Full rereads everything instead of what changed since the
	// checkpoint.
	Full bool
	// Reconcile starts delete-reconciliation runs instead of syncs.
	Reconcile bool
	// Since, when set, re-reads what changed from Since to Until (zero:
	// now) without moving the checkpoint: the operator's way to fetch a
	// range again without a full resync. Streams read whole every run are
	// left out; streams read newest first read down to Since.
	Since, Until time.Time
	// AllowMassDelete approves the deletes the started runs find, however
	// many (once each): those of reconciliations and of custom-field
	// definitions, which one reading may otherwise apply only up to
	// Config.MaxDeleteFraction of a table.
	AllowMassDelete bool
}

// readRequest is what a sync request asks a run to read: everything
// (full), a time range (since, until; until zero is now), or, by default,
// what changed since the checkpoint.
type readRequest struct {
	full         bool
	since, until time.Time
}

// ErrNoTimeRange is returned (wrapped) for a re-read of a time range of a
// stream read whole every run (or by definition), which has no range.
var ErrNoTimeRange = errors.New("the stream is read whole every run: it has no time range to re-read")

// ErrUnknownAccount is returned (wrapped) for an account that is not
// configured.
var ErrUnknownAccount = errors.New("account not configured")

// ErrUnknownStream is returned (wrapped) for a stream the account does not
// sync.
var ErrUnknownStream = errors.New("stream not synced for this account")

// Sync starts runs of the requested streams now, in one transaction, and
// returns them. A stream with an active run is not started again: its
// active run is returned (Joined), so asking twice never doubles the work.
// Streams that cannot be reconciled are left out of a reconcile request.
func (p *Pipeline) Sync(ctx context.Context, req SyncRequest) ([]Run, error) {
	names := p.order
	if req.Account != "" {
		if p.accounts[req.Account] == nil {
			return nil, fmt.Errorf("jobs: sync %q: %w", req.Account, ErrUnknownAccount)
		}
		names = []string{req.Account}
	}
	var runs []Run
	err := pgx.BeginFunc(ctx, p.cfg.Pool, func(tx pgx.Tx) error {
		runs = runs[:0]
		for _, name := range names {
			a := p.accounts[name]
			streams, err := a.selectStreams(req.Streams)
			if err != nil {
				return err
			}
			if !req.Since.IsZero() {
				streams = slices.DeleteFunc(slices.Clone(streams), func(s keap.Stream) bool {
					return s.Mode != keap.ModeTimeFilter && s.Mode != keap.ModeUpdateOrder
				})
			}
			rs, err := p.startRuns(ctx, tx, a, streams, readRequest{full: req.Full, since: req.Since, until: req.Until}, req.Reconcile, warehouse.TriggerManual)
			if err != nil {
				return err
			}
			if req.AllowMassDelete {
				for _, r := range rs {
					if !p.ownRun(a, r.SyncRun).appliesDeletes() {
						continue // an approval it would never use up must not linger
					}
					if err := p.wh.ApproveMassDelete(ctx, tx, r.Account, r.Stream); err != nil {
						return err
					}
				}
			}
			runs = append(runs, rs...)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("jobs: sync: %w", err)
	}
	return runs, nil
}

// selectStreams returns the account's streams named in names (all of them
// when names is empty), with the custom-field definitions of those that
// have custom fields.
func (a *account) selectStreams(names []string) ([]keap.Stream, error) {
	if len(names) == 0 {
		return a.streams, nil
	}
	var out []keap.Stream
	for _, s := range a.streams {
		if wanted(s, names) {
			out = append(out, s)
		}
	}
	for _, n := range names {
		if !slices.ContainsFunc(out, func(s keap.Stream) bool { return s.Name == n }) {
			return nil, fmt.Errorf("account %s, stream %q: %w", a.Name, n, ErrUnknownStream)
		}
	}
	return out, nil
}

// stream returns the account's stream named name.
func (a *account) stream(name string) (keap.Stream, bool) {
	i := slices.IndexFunc(a.streams, func(s keap.Stream) bool { return s.Name == name })
	if i < 0 {
		return keap.Stream{}, false
	}
	return a.streams[i], true
}

// wanted reports whether s is named in names, or holds the custom-field
// definitions of a stream named there: a stream with custom fields brings
// its definitions along (one call a sync), or its named view would have no
// columns.
func wanted(s keap.Stream, names []string) bool {
	return slices.Contains(names, s.Name) || (s.CustomFieldsOf != "" && slices.Contains(names, s.CustomFieldsOf))
}

// accountSyncWorker starts an account's runs when its schedule (or a
// request) says so. It makes no API call.
type accountSyncWorker struct {
	river.WorkerDefaults[AccountSyncArgs]
	p *Pipeline
}

func (w *accountSyncWorker) Work(ctx context.Context, job *river.Job[AccountSyncArgs]) error {
	p := w.p
	a := p.accounts[job.Args.Account]
	if a == nil {
		return river.JobCancel(fmt.Errorf("account %q: %w", job.Args.Account, ErrUnknownAccount))
	}
	if job.Args.CatchUp {
		return pgx.BeginFunc(ctx, p.cfg.Pool, func(tx pgx.Tx) error {
			if err := p.catchUp(ctx, tx, a); err != nil {
				return err
			}
			_, err := river.JobCompleteTx[*riverDriver](ctx, tx, job)
			return err
		})
	}
	streams, err := a.selectStreams(job.Args.Streams)
	if err != nil {
		return river.JobCancel(err)
	}
	trigger := warehouse.Trigger(job.Args.Trigger)
	if trigger != warehouse.TriggerSchedule {
		trigger = warehouse.TriggerManual
	}
	return pgx.BeginFunc(ctx, p.cfg.Pool, func(tx pgx.Tx) error {
		if _, err := p.startRuns(ctx, tx, a, streams, readRequest{full: job.Args.Full}, job.Args.Reconcile, trigger); err != nil {
			return err
		}
		_, err := river.JobCompleteTx[*riverDriver](ctx, tx, job)
		return err
	})
}

// catchUp starts, for each of a's schedules, the runs of the streams
// whose last run started before the schedule's last due time: those that
// came due while no process led. However many due times were missed, each
// stream gets one run. A stream never run is left to its schedule (a new
// deployment does not start a sync by itself).
func (p *Pipeline) catchUp(ctx context.Context, tx pgx.Tx, a *account) error {
	now := p.cfg.Now()
	for _, sc := range []struct {
		expr string
		kind warehouse.RunKind
	}{{a.Schedule, warehouse.RunSync}, {a.ReconcileSchedule, warehouse.RunReconcile}} {
		if sc.expr == "" {
			continue
		}
		sched, err := ParseSchedule(sc.expr)
		if err != nil {
			return river.JobCancel(err) // validated in New: not reached
		}
		last, err := p.wh.LastRunStarts(ctx, tx, a.Name, sc.kind)
		if err != nil {
			return err
		}
		var missed []keap.Stream
		for _, s := range a.streams {
			if at, ok := last[s.Name]; ok && !sched.Next(at).After(now) {
				missed = append(missed, s)
			}
		}
		if len(missed) == 0 {
			continue
		}
		runs, err := p.startRuns(ctx, tx, a, missed, readRequest{}, sc.kind == warehouse.RunReconcile, warehouse.TriggerSchedule)
		if err != nil {
			return err
		}
		p.log.LogAttrs(ctx, slog.LevelInfo, "jobs: missed schedule made up",
			slog.String("account", a.Name), slog.String("kind", string(sc.kind)), slog.Int("runs", len(runs)))
	}
	return nil
}

// startRuns starts (or joins) a run of each stream and enqueues the first
// page of each new run's slices, on tx.
func (p *Pipeline) startRuns(ctx context.Context, tx pgx.Tx, a *account, streams []keap.Stream, rq readRequest, reconcile bool, trigger warehouse.Trigger) ([]Run, error) {
	kind := warehouse.RunSync
	if reconcile {
		kind = warehouse.RunReconcile
	}
	var runs []Run
	for _, s := range streams {
		if reconcile && !Reconcilable(s) {
			continue
		}
		r, joined, err := p.startRun(ctx, tx, a, s, kind, rq, trigger)
		if err != nil {
			return nil, fmt.Errorf("account %s, stream %s: %w", a.Name, s.Name, err)
		}
		runs = append(runs, Run{SyncRun: r.SyncRun, Joined: joined})
	}
	return runs, nil
}

// Reconcilable reports whether a stream's ids can be listed in a stable
// order (a keyset on the id), which a delete reconciliation needs: an
// offset or a token over a changing order could skip a live record and
// take it for deleted. Custom-field definitions need none: every sync reads
// them whole.
func Reconcilable(s keap.Stream) bool {
	return s.KeysetByID() && s.Mode != keap.ModeSingle
}

// runSpec decides what a new run reads: its window from the checkpoint,
// and its slices, continuing a failed run's unfinished slices from their
// positions when the stream's keyset allows.
func (p *Pipeline) runSpec(ctx context.Context, tx pgx.Tx, a *account, s keap.Stream, kind warehouse.RunKind, rq readRequest, trigger warehouse.Trigger) (warehouse.RunSpec, error) {
	full := rq.full
	now := p.cfg.Now().UTC()
	spec := warehouse.RunSpec{Account: a.Name, Stream: s.Name, Kind: kind, Trigger: trigger, WindowUntil: now}
	if kind == warehouse.RunReconcile {
		spec.Backfill = true // a reconciliation is background work
		spec.Slices = []warehouse.Slice{{}}
		return spec, nil
	}
	if !rq.since.IsZero() {
		// A re-read of a time range: background work that leaves the
		// checkpoint where it is.
		spec.Reread, spec.Backfill, spec.WindowSince = true, true, rq.since.UTC()
		if !rq.until.IsZero() {
			spec.WindowUntil = rq.until.UTC()
		}
		switch s.Mode {
		case keap.ModeTimeFilter:
			spec.Slices = []warehouse.Slice{{Since: spec.WindowSince, Until: spec.WindowUntil}}
		case keap.ModeUpdateOrder: // newest first, down to since
			spec.Slices = []warehouse.Slice{{StopBefore: spec.WindowSince}}
		default:
			return spec, fmt.Errorf("%w: stream %s", ErrNoTimeRange, s.Name)
		}
		return spec, nil
	}
	cp, hasCP, err := p.wh.Checkpoint(ctx, tx, a.Name, s.Name)
	if err != nil {
		return spec, err
	}
	var since warehouse.Slice
	fresh := full || !hasCP || cp.HighWaterTime.IsZero()
	spec.Backfill = fresh && s.Mode != keap.ModeSingle
	switch s.Mode {
	case keap.ModeTimeFilter:
		if !fresh {
			spec.WindowSince = cp.HighWaterTime.Add(-p.cfg.Overlap)
			if w := a.rereadWindow(s); w > 0 && now.Add(-w).Before(spec.WindowSince) {
				spec.WindowSince = now.Add(-w) // changes the filter cannot see (opens and clicks)
			}
		}
		since = warehouse.Slice{Since: spec.WindowSince, Until: now}
		if fresh && Reconcilable(s) {
			// A whole read in id order also finds deletes (readsWhole):
			// without an upper time bound it lists every record alive,
			// those updated while it runs included, which the bound
			// would leave out (and so take for deleted). The high-water
			// mark is still the run's start.
			since.Until = time.Time{}
		}
	case keap.ModeUpdateOrder:
		if !fresh {
			since = warehouse.Slice{StopBefore: cp.HighWaterTime.Add(-p.cfg.Overlap)}
		}
	}
	spec.Slices = []warehouse.Slice{since}
	if full || s.Mode != keap.ModeTimeFilter || s.AfterIDFilter == "" {
		return spec, nil
	}

	// A failed or cancelled run left slices unfinished: continue them where
	// they stopped (their window and keyset position), and read what
	// changed since that run's window closed in a slice of its own.
	last, ok, err := p.wh.LatestRun(ctx, tx, a.Name, s.Name, kind)
	if err != nil || !ok || (last.Status != warehouse.RunFailed && last.Status != warehouse.RunCancelled) {
		return spec, err
	}
	lastSlices, err := p.wh.Slices(ctx, tx, last.ID)
	if err != nil {
		return spec, err
	}
	var adopted []warehouse.Slice
	for _, sl := range lastSlices {
		if sl.Done {
			continue
		}
		adopted = append(adopted, warehouse.Slice{Since: sl.Since, Until: sl.Until, AfterID: sl.AfterID, BeforeID: sl.BeforeID})
	}
	if len(adopted) == 0 || last.WindowUntil.IsZero() {
		return spec, nil
	}
	spec.AdoptedFrom = last.ID
	spec.WindowSince = last.WindowSince
	spec.Backfill = last.Backfill
	delta := warehouse.Slice{Since: last.WindowUntil.Add(-p.cfg.Overlap), Until: now}
	spec.Slices = append(adopted, delta)
	return spec, nil
}

// ExpectedTotals asks Keap how many records each first or full read of
// runs will read, for an ETA: one count call per such run of a countable
// stream, through the account's quota like any call. A run whose count is
// not known (an incremental run, no count endpoint, a failed call) is
// absent.
func (p *Pipeline) ExpectedTotals(ctx context.Context, runs []Run) map[int64]int64 {
	out := map[int64]int64{}
	for _, r := range runs {
		a := p.accounts[r.Account]
		s, ok := keap.StreamByName(r.Stream)
		if a == nil || !ok || !r.Backfill || s.CountPath == "" {
			continue
		}
		n, err := a.client.Count(ctx, s, time.Time{}, time.Time{})
		if err != nil {
			p.log.LogAttrs(ctx, slog.LevelDebug, "jobs: count for an ETA failed",
				slog.String("account", r.Account), slog.String("stream", r.Stream), slog.String("error", err.Error()))
			continue
		}
		out[r.ID] = n
	}
	return out
}
