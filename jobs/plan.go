package jobs

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/keapsync/keapsync/keap"
)

// Plan is what syncing an account costs in API calls, estimated from one
// count call per stream (v1 lists report the total of their matches) and
// the catalogue, without fetching any data.
type Plan struct {
	Account string       `json:"account"`
	Streams []StreamPlan `json:"streams"`

	// CountCalls is what making the plan cost.
	CountCalls int64 `json:"count_calls"`

	// FirstSync and Incremental total the streams' calls; Reconcile is
	// one delete reconciliation of every reconcilable stream.
	FirstSync   int64 `json:"first_sync_calls"`
	Incremental int64 `json:"incremental_calls"`
	Reconcile   int64 `json:"reconcile_calls"`

	// Interval is the time between two scheduled syncs (24h without a
	// schedule); RunsPerDay follows from it.
	Interval   time.Duration `json:"interval"`
	RunsPerDay float64       `json:"runs_per_day"`

	// DayBudget is the daily budget keapsync keeps to; a backfill may
	// spend BackgroundShare of it.
	DayBudget       int64   `json:"day_budget"`
	BackgroundShare float64 `json:"background_share"`

	// FirstSyncDays is how many days of budget the first sync takes (a
	// backfill pauses at its share of each day and resumes after the
	// reset); IncrementalShare is the share of a day's budget the
	// scheduled incremental runs take.
	FirstSyncDays    float64 `json:"first_sync_days"`
	IncrementalShare float64 `json:"incremental_share"`
}

// StreamPlan is one stream's estimate.
type StreamPlan struct {
	Stream string `json:"stream"`
	Mode   string `json:"mode"`
	// Records is the stream's total as counted, -1 when it cannot be
	// counted (then the warehouse's rows stand in, when synced before).
	Records int64 `json:"records"`
	// Changed is how many records changed in the last Interval, -1 when
	// the count cannot filter by update time.
	Changed int64 `json:"changed"`
	// FirstSync, Incremental and Reconcile are the calls of a first (or
	// full) sync, of a scheduled incremental run, and of a reconciliation
	// (0: the stream is not reconciled).
	FirstSync   int64 `json:"first_sync_calls"`
	Incremental int64 `json:"incremental_calls"`
	Reconcile   int64 `json:"reconcile_calls"`
	// Estimate says how sure the figures are: "exact" (counted),
	// "synced" (from the warehouse's rows), "at_least" or "unknown".
	Estimate string `json:"estimate"`
	// RereadWindow is how far back each incremental run reads again
	// (emails: for opens and clicks); Incremental includes those calls.
	RereadWindow time.Duration `json:"reread_window,omitempty"`
	// FirstSyncDays is the days of background budget the stream's first
	// sync takes on its own.
	FirstSyncDays float64 `json:"first_sync_days"`
}

// Plan estimates the cost of syncing account. It makes one count call per
// countable stream (two for streams whose count filters by update time),
// through the account's quota like any other call.
func (p *Pipeline) Plan(ctx context.Context, account string) (Plan, error) {
	a := p.accounts[account]
	if a == nil {
		return Plan{}, fmt.Errorf("jobs: plan %q: %w", account, ErrUnknownAccount)
	}
	now := p.cfg.Now().UTC()
	plan := Plan{Account: account, Interval: 24 * time.Hour}
	if interval, ok := scheduleInterval(a.Schedule, now); ok {
		plan.Interval = interval
	}
	plan.RunsPerDay = float64(24*time.Hour) / float64(plan.Interval)

	for _, s := range a.streams {
		sp, calls, err := p.planStream(ctx, a, s, now, plan.Interval)
		if err != nil {
			return Plan{}, fmt.Errorf("jobs: plan %s, stream %s: %w", account, s.Name, err)
		}
		plan.CountCalls += calls
		plan.Streams = append(plan.Streams, sp)
		plan.FirstSync += sp.FirstSync
		plan.Incremental += sp.Incremental
		plan.Reconcile += sp.Reconcile
	}

	q := a.client.QuotaConfig()
	plan.BackgroundShare = q.BackgroundShare
	var reported int64
	if q.PerDay > 0 {
		st, ok, err := p.ledger.State(ctx, a.Name, q.Minute)
		if err != nil {
			return Plan{}, fmt.Errorf("jobs: plan %s: %w", account, err)
		}
		if ok {
			reported = st.DayLimit
		}
	}
	plan.DayBudget = q.DayBudget(reported, false)
	if background := q.DayBudget(reported, true); background > 0 {
		plan.FirstSyncDays = float64(plan.FirstSync) / float64(background)
		for i := range plan.Streams {
			plan.Streams[i].FirstSyncDays = float64(plan.Streams[i].FirstSync) / float64(background)
		}
	}
	if plan.DayBudget > 0 {
		plan.IncrementalShare = float64(plan.Incremental) * plan.RunsPerDay / float64(plan.DayBudget)
	}
	return plan, nil
}

// planStream estimates one stream, returning the count calls it made.
func (p *Pipeline) planStream(ctx context.Context, a *account, s keap.Stream, now time.Time, interval time.Duration) (StreamPlan, int64, error) {
	sp := StreamPlan{Stream: s.Name, Mode: s.Mode.String(), Records: -1, Changed: -1, Estimate: "exact"}
	if s.Mode == keap.ModeSingle {
		sp.FirstSync, sp.Incremental = 1, 1
		return sp, 0, nil
	}
	size := int64(p.pageSize(s))
	if size <= 0 {
		size = 1000
	}
	var calls int64
	if s.CountPath != "" {
		n, err := a.client.Count(ctx, s, time.Time{}, time.Time{})
		calls++
		if err != nil {
			return sp, calls, err
		}
		sp.Records = n
	} else {
		rows, err := p.wh.LiveRows(ctx, p.cfg.Pool, s.Name, a.Name)
		if err != nil {
			return sp, calls, err
		}
		if rows > 0 {
			sp.Records, sp.Estimate = rows, "synced"
		} else {
			sp.Estimate = "unknown"
		}
	}
	if s.Mode == keap.ModeTimeFilter && s.CountSinceParam != "" {
		back := interval + p.cfg.Overlap
		if w := a.rereadWindow(s); w > 0 {
			sp.RereadWindow = w
			back = max(back, w) // a run reads from the earlier of the checkpoint and the window
		}
		n, err := a.client.Count(ctx, s, now.Add(-back), now)
		calls++
		if err != nil {
			return sp, calls, err
		}
		sp.Changed = n
	}

	sp.FirstSync = pages(sp.Records, size)
	switch {
	case s.Mode == keap.ModeFullScan:
		sp.Incremental = sp.FirstSync // reads everything each time
	case sp.Changed >= 0:
		sp.Incremental = pages(sp.Changed, size)
	default:
		// No count by update time: one page unless more changed.
		sp.Incremental = 1
		if sp.Estimate == "exact" {
			sp.Estimate = "at_least"
		}
	}
	if Reconcilable(s) {
		sp.Reconcile = sp.FirstSync
	}
	return sp, calls, nil
}

// pages is the calls that list n records, size a page: at least one (a
// listing's last page says it is the last, so a full last page costs no
// extra call).
func pages(n, size int64) int64 {
	if n <= 0 {
		return 1
	}
	return int64(math.Ceil(float64(n) / float64(size)))
}
