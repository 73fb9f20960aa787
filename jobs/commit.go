package jobs

import (
	"context"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/keapsync/keapsync/keap"
	"github.com/keapsync/keapsync/warehouse"
)

// commit writes a fetched page and everything that goes with it in one
// transaction.
func (p *Pipeline) commit(ctx context.Context, job *river.Job[PageArgs], a *account, s keap.Stream, run warehouse.SyncRun, page *keap.Page, m mappedPage) (PageStats, error) {
	stats := PageStats{Records: len(page.Records), Problems: m.problems}
	err := pgx.BeginFunc(ctx, p.cfg.Pool, func(tx pgx.Tx) error {
		stats = PageStats{Records: len(page.Records), Problems: m.problems}
		locked, err := p.wh.LockRun(ctx, tx, run.ID)
		if err != nil {
			return err
		}
		if locked.Status.Final() {
			return errStale
		}
		cur, err := p.wh.LockSlice(ctx, tx, run.ID, job.Args.Slice)
		if err != nil {
			return err
		}
		if cur.Done || cur.Page != job.Args.Page {
			return errStale
		}
		next, err := advance(s, cur, page)
		if err != nil {
			return err
		}
		prog := warehouse.RunProgress{Pages: 1}
		if locked.Kind == warehouse.RunReconcile {
			if err := p.wh.RecordSeen(ctx, tx, run.ID, m.ids); err != nil {
				return err
			}
		} else {
			res, err := p.wh.Upsert(ctx, tx, s.Name, warehouse.Page{Account: a.Name, RunID: run.ID, Rows: m.rows})
			if err != nil {
				return err
			}
			prog = res.Progress()
			stats.Inserted, stats.Updated, stats.Unchanged = res.Inserted, res.Updated, res.Unchanged
			if s.Mode == keap.ModeSingle {
				deleted, err := p.syncDefinitions(ctx, tx, s, locked, m.ids, res)
				if err != nil {
					return err
				}
				prog.RowsDeleted += deleted
				stats.Deleted = int(deleted)
			}
		}
		prog.APICalls = 1
		if err := p.wh.SaveSlice(ctx, tx, next); err != nil {
			return err
		}
		if err := p.wh.AddRunProgress(ctx, tx, run.ID, prog); err != nil {
			return err
		}
		if locked.Status == warehouse.RunPausedQuota {
			if err := p.wh.ResumeRun(ctx, tx, run.ID); err != nil {
				return err
			}
		}
		if err := p.split(ctx, tx, a, s, job, cur, next, page); err != nil {
			return err
		}
		if !next.Done {
			args := job.Args
			args.Page = next.Page
			if err := p.enqueuePage(ctx, tx, a, args, job.Priority); err != nil {
				return err
			}
		} else if err := p.finishIfDone(ctx, tx, a, s, locked); err != nil {
			return err
		}
		if locked.Kind == warehouse.RunSync {
			cp := warehouse.Checkpoint{Account: a.Name, Stream: s.Name, Mode: s.Mode.String(), RunID: run.ID,
				PageToken: next.PageToken, PageOffset: next.PageOffset, LastID: next.AfterID}
			if _, err := p.wh.SaveCheckpoint(ctx, tx, cp); err != nil {
				return err
			}
		}
		_, err = river.JobCompleteTx[*riverDriver](ctx, tx, job)
		return err
	})
	return stats, err
}

// split starts a probe after the first page of a large latency-bound read,
// and divides the rest among parallel slices once the probe's page is in
// (see split.go).
func (p *Pipeline) split(ctx context.Context, tx pgx.Tx, a *account, s keap.Stream, job *river.Job[PageArgs], cur, next warehouse.Slice, page *keap.Page) error {
	if cur.Descending {
		return p.splitAfterProbe(ctx, tx, a, s, job, cur, page)
	}
	if cur.Page != 0 || !s.KeysetByID() {
		return nil
	}
	slices, err := p.wh.Slices(ctx, tx, cur.RunID)
	if err != nil {
		return err
	}
	if !p.probeNeeded(a, s, cur, next, page, slices) {
		return nil
	}
	return p.addProbe(ctx, tx, a, job, slices, next)
}

// syncDefinitions soft-deletes the custom-field definitions the model no
// longer lists and, when any definition changed, rebuilds the entity's
// named view in the same transaction.
func (p *Pipeline) syncDefinitions(ctx context.Context, tx pgx.Tx, s keap.Stream, run warehouse.SyncRun, ids []int64, res warehouse.UpsertResult) (int64, error) {
	if err := p.wh.RecordSeen(ctx, tx, run.ID, ids); err != nil {
		return 0, err
	}
	rr, err := p.wh.ApplyReconcile(ctx, tx, s.Name, run, 0)
	if err != nil {
		return 0, err
	}
	if res.Inserted+res.Updated > 0 || rr.Deleted+rr.Undeleted > 0 {
		if _, err := p.wh.RefreshCustomFieldView(ctx, tx, customFieldEntity(s.Name)); err != nil {
			return 0, err
		}
	}
	return rr.Deleted, nil
}

// customFieldEntity names the entity whose view a definitions stream feeds.
func customFieldEntity(stream string) string {
	switch stream {
	case "contact_custom_fields":
		return "contacts"
	case "company_custom_fields":
		return "companies"
	case "opportunity_custom_fields":
		return "opportunities"
	case "order_custom_fields":
		return "orders"
	}
	return ""
}

// finishIfDone ends the run once every slice is done: a sync moves the
// checkpoint's high-water mark, a reconciliation applies its deletes.
func (p *Pipeline) finishIfDone(ctx context.Context, tx pgx.Tx, a *account, s keap.Stream, run warehouse.SyncRun) error {
	slices, err := p.wh.Slices(ctx, tx, run.ID)
	if err != nil {
		return err
	}
	var maxUpdated time.Time
	for _, sl := range slices {
		if !sl.Done {
			return nil
		}
		if sl.MaxUpdated.After(maxUpdated) {
			maxUpdated = sl.MaxUpdated
		}
	}
	switch run.Kind {
	case warehouse.RunReconcile:
		live, err := p.wh.LiveRows(ctx, tx, s.Name, a.Name)
		if err != nil {
			return err
		}
		limit := max(100, int64(p.cfg.MaxDeleteFraction*float64(live)))
		rr, err := p.wh.ApplyReconcile(ctx, tx, s.Name, run, limit)
		if err != nil {
			return err
		}
		if err := p.wh.AddRunProgress(ctx, tx, run.ID, warehouse.RunProgress{RowsDeleted: rr.Deleted}); err != nil {
			return err
		}
		p.log.LogAttrs(ctx, slog.LevelInfo, "jobs: reconciliation applied",
			slog.String("account", a.Name), slog.String("stream", s.Name), slog.Int64("run_id", run.ID),
			slog.Int64("seen", rr.Seen), slog.Int64("deleted", rr.Deleted), slog.Int64("undeleted", rr.Undeleted))
	default:
		hwm := run.WindowUntil
		if s.Mode == keap.ModeUpdateOrder {
			hwm = maxUpdated // Keap's clock, which the next run compares with
		}
		cp := warehouse.Checkpoint{Account: a.Name, Stream: s.Name, Mode: s.Mode.String(), HighWaterTime: hwm, RunID: run.ID}
		if _, err := p.wh.SaveCheckpoint(ctx, tx, cp); err != nil {
			return err
		}
	}
	if err := p.wh.FinishRun(ctx, tx, run.ID, warehouse.RunSucceeded, ""); err != nil {
		return err
	}
	p.log.LogAttrs(ctx, slog.LevelInfo, "jobs: run succeeded",
		slog.String("account", a.Name), slog.String("stream", s.Name), slog.Int64("run_id", run.ID),
		slog.String("kind", string(run.Kind)))
	return nil
}

// resumeRun reopens a failed or cancelled run and enqueues the next page of
// each unfinished slice but except (the job doing the resuming), so the
// whole run continues from its checkpoint.
func (p *Pipeline) resumeRun(ctx context.Context, a *account, run warehouse.SyncRun, except int) error {
	return pgx.BeginFunc(ctx, p.cfg.Pool, func(tx pgx.Tx) error {
		return p.resumeRunTx(ctx, tx, a, run, except)
	})
}

func (p *Pipeline) resumeRunTx(ctx context.Context, tx pgx.Tx, a *account, run warehouse.SyncRun, except int) error {
	if err := p.wh.ReopenRun(ctx, tx, run.ID); err != nil {
		return err
	}
	slices, err := p.wh.Slices(ctx, tx, run.ID)
	if err != nil {
		return err
	}
	prio := priorityFresh
	if run.Backfill {
		prio = priorityBackfill
	}
	for _, sl := range slices {
		if sl.Done || sl.N == except {
			continue
		}
		args := PageArgs{Account: a.Name, Stream: run.Stream, RunID: run.ID, Slice: sl.N, Page: sl.Page}
		if err := p.enqueuePage(ctx, tx, a, args, prio); err != nil {
			return err
		}
	}
	p.log.LogAttrs(ctx, slog.LevelInfo, "jobs: run resumed",
		slog.String("account", a.Name), slog.String("stream", run.Stream), slog.Int64("run_id", run.ID))
	return nil
}
