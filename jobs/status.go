package jobs

import (
	"context"
	"fmt"
	"time"

	"github.com/riverqueue/river/riverdriver"

	"github.com/keapsync/keapsync/keap"
	"github.com/keapsync/keapsync/warehouse"
)

// Status is a snapshot of every configured account: its streams, its quota
// and River's jobs. Its JSON form is stable (documented in the README).
type Status struct {
	GeneratedAt time.Time       `json:"generated_at"`
	Accounts    []AccountStatus `json:"accounts"`
	// Jobs counts keapsync's River jobs by state (available, running,
	// scheduled, retryable, completed, cancelled, discarded, pending).
	Jobs map[string]int64 `json:"jobs"`
}

// AccountStatus is one account's streams and quota.
type AccountStatus struct {
	Account string      `json:"account"`
	Quota   QuotaStatus `json:"quota"`
	// ScheduleInterval is the time between two scheduled syncs, in
	// seconds; 0 when the account syncs only on demand.
	ScheduleInterval float64 `json:"schedule_interval_seconds"`
	// Workers counts the live processes working the account's jobs
	// (keapsync work, sync --wait), by their heartbeats.
	Workers int `json:"workers"`
	// Incidents are the account's open incidents (what notifications tell
	// of), oldest first.
	Incidents []IncidentStatus `json:"incidents"`
	Streams   []StreamStatus   `json:"streams"`
}

// IncidentStatus is an open incident: a failed run, a discarded job, a
// rejected key or a stale stream, until it recovers.
type IncidentStatus struct {
	ID       int64     `json:"id"`
	Stream   string    `json:"stream,omitempty"`
	Kind     string    `json:"kind"`
	RunKind  string    `json:"run_kind,omitempty"`
	Detail   string    `json:"detail"`
	OpenedAt time.Time `json:"opened_at"`
}

// QuotaStatus is an account's quota as the shared ledger counts it.
type QuotaStatus struct {
	// DayUsed is the calls counted today (by every process, and by Keap's
	// headers); DayLimit the daily budget keapsync keeps to (the
	// configured one, tightened by what Keap reported, less the reserve;
	// -1 when no daily limit is configured); DayLeft what remains;
	// ResetAt when the day's budget resets (null when unknown).
	DayUsed  int64      `json:"day_used"`
	DayLimit int64      `json:"day_limit"`
	DayLeft  int64      `json:"day_left"`
	ResetAt  *time.Time `json:"reset_at"`
	// MinuteUsed counts the calls in the rolling window now; MinuteLimit
	// is its limit.
	MinuteUsed  int64 `json:"minute_used"`
	MinuteLimit int64 `json:"minute_limit"`
}

// StreamStatus is one stream of an account.
type StreamStatus struct {
	Stream string `json:"stream"`
	// State is the latest sync run's: never, running, paused_quota,
	// succeeded or failed (a cancelled run shows as failed); paused while
	// an operator holds the stream (keapsync pause, or its account's
	// queue paused in River UI).
	State         string     `json:"state"`
	LastSuccessAt *time.Time `json:"last_success_at"`
	// Stale is set when the account is scheduled and the stream's last
	// success is older than its schedule allows (an interval and a half,
	// at least an interval and an hour): a notification and an alert
	// tell of it. A stream never synced is not stale.
	Stale bool `json:"stale"`
	// Rows counts the stream's live (not soft-deleted) rows.
	Rows int64 `json:"rows"`
	// Checkpoint is the newest update time fully synced.
	Checkpoint  *time.Time `json:"checkpoint"`
	PausedUntil *time.Time `json:"paused_until"`
	LastError   string     `json:"last_error,omitempty"`
	// Run is the latest sync run, Reconcile the latest delete
	// reconciliation.
	Run       *Run `json:"run,omitempty"`
	Reconcile *Run `json:"reconcile,omitempty"`
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// The stream states of StreamStatus.State.
const (
	StateNever       = "never"
	StateRunning     = "running"
	StatePausedQuota = "paused_quota"
	StateSucceeded   = "succeeded"
	StateFailed      = "failed"
)

// Status takes a snapshot of every account (or only account, when not
// empty) from the database.
func (p *Pipeline) Status(ctx context.Context, account string) (Status, error) {
	st := Status{GeneratedAt: p.cfg.Now().UTC(), Jobs: map[string]int64{}}
	for _, name := range p.order {
		if account != "" && name != account {
			continue
		}
		as, err := p.accountStatus(ctx, p.accounts[name])
		if err != nil {
			return Status{}, fmt.Errorf("jobs: status of %s: %w", name, err)
		}
		st.Accounts = append(st.Accounts, as)
	}
	if account != "" && len(st.Accounts) == 0 {
		return Status{}, fmt.Errorf("jobs: status of %q: %w", account, ErrUnknownAccount)
	}
	// River's count of its jobs by state: the schema holds only
	// keapsync's jobs (Config.RiverSchema is its own).
	counts, err := p.river.Driver().GetExecutor().JobCountByAllStates(ctx, &riverdriver.JobCountByAllStatesParams{Schema: p.cfg.RiverSchema})
	if err != nil {
		return Status{}, fmt.Errorf("jobs: status: count jobs: %w", err)
	}
	for state, n := range counts {
		if n > 0 {
			st.Jobs[string(state)] = int64(n)
		}
	}
	return st, nil
}

func (p *Pipeline) accountStatus(ctx context.Context, a *account) (AccountStatus, error) {
	as := AccountStatus{Account: a.Name}
	q, err := p.quotaStatus(ctx, a)
	if err != nil {
		return as, err
	}
	as.Quota = q
	queuePaused, err := p.queuePaused(ctx, a)
	if err != nil {
		return as, err
	}
	paused, err := p.wh.PausedStreams(ctx, p.cfg.Pool, a.Name)
	if err != nil {
		return as, err
	}
	if as.Workers, err = p.wh.Workers(ctx, p.cfg.Pool, a.Name, processStaleAfter); err != nil {
		return as, err
	}
	incidents, err := p.wh.OpenIncidents(ctx, p.cfg.Pool, a.Name)
	if err != nil {
		return as, err
	}
	as.Incidents = []IncidentStatus{}
	for _, in := range incidents {
		as.Incidents = append(as.Incidents, IncidentStatus{ID: in.ID, Stream: in.Stream, Kind: in.Kind, RunKind: in.RunKind,
			Detail: in.Detail, OpenedAt: in.OpenedAt})
	}
	interval, scheduled := scheduleInterval(a.Schedule, p.cfg.Now())
	if scheduled {
		as.ScheduleInterval = interval.Seconds()
	}
	for _, s := range a.streams {
		ss, err := p.streamStatus(ctx, a, s)
		if err != nil {
			return as, err
		}
		if scheduled && ss.LastSuccessAt != nil {
			ss.Stale = stale(*ss.LastSuccessAt, interval, p.cfg.Now())
		}
		if paused[s.Name] || paused[""] || queuePaused {
			ss.State = StatePaused
		}
		as.Streams = append(as.Streams, ss)
	}
	return as, nil
}

func (p *Pipeline) streamStatus(ctx context.Context, a *account, s keap.Stream) (StreamStatus, error) {
	ex := p.cfg.Pool
	ss := StreamStatus{Stream: s.Name, State: StateNever}
	run, ok, err := p.wh.LatestRun(ctx, ex, a.Name, s.Name, warehouse.RunSync)
	if err != nil {
		return ss, err
	}
	if ok {
		ss.Run = &Run{SyncRun: run}
		ss.LastError = run.LastError
		switch run.Status {
		case warehouse.RunRunning:
			ss.State = StateRunning
		case warehouse.RunPausedQuota:
			ss.State = StatePausedQuota
			ss.PausedUntil = timePtr(run.ResumeAt)
		case warehouse.RunSucceeded:
			ss.State = StateSucceeded
		default:
			ss.State = StateFailed
		}
	}
	if rec, ok, err := p.wh.LatestRun(ctx, ex, a.Name, s.Name, warehouse.RunReconcile); err != nil {
		return ss, err
	} else if ok {
		ss.Reconcile = &Run{SyncRun: rec}
	}
	last, ok, err := p.wh.LastSuccess(ctx, ex, a.Name, s.Name, warehouse.RunSync)
	if err != nil {
		return ss, err
	}
	if ok {
		ss.LastSuccessAt = timePtr(last.FinishedAt)
	}
	cp, ok, err := p.wh.Checkpoint(ctx, ex, a.Name, s.Name)
	if err != nil {
		return ss, err
	}
	if ok {
		ss.Checkpoint = timePtr(cp.HighWaterTime)
	}
	if ss.Rows, err = p.wh.LiveRows(ctx, ex, s.Name, a.Name); err != nil {
		return ss, err
	}
	return ss, nil
}

// Quota reads account's quota from the shared ledger, cheaply (one query):
// what Status reports of it, for progress displays polling it often.
func (p *Pipeline) Quota(ctx context.Context, account string) (QuotaStatus, error) {
	a := p.accounts[account]
	if a == nil {
		return QuotaStatus{}, fmt.Errorf("jobs: quota of %q: %w", account, ErrUnknownAccount)
	}
	q, err := p.quotaStatus(ctx, a)
	if err != nil {
		return QuotaStatus{}, fmt.Errorf("jobs: quota of %s: %w", account, err)
	}
	return q, nil
}

// quotaStatus reads the account's quota from the shared ledger: the
// configured limits, tightened by those Keap reported.
func (p *Pipeline) quotaStatus(ctx context.Context, a *account) (QuotaStatus, error) {
	q := a.client.QuotaConfig()
	st, _, err := p.ledger.State(ctx, a.Name, q.Minute)
	if err != nil {
		return QuotaStatus{}, err
	}
	qs := QuotaStatus{DayUsed: st.DayCount, MinuteUsed: st.WindowCount, DayLimit: -1, DayLeft: -1, MinuteLimit: -1}
	if q.PerDay > 0 {
		qs.DayLimit = q.DayBudget(st.DayLimit, false)
		qs.DayLeft = max(qs.DayLimit-qs.DayUsed, 0)
	}
	if q.PerMinute > 0 {
		qs.MinuteLimit = int64(q.PerMinute)
		if st.WindowLimit > 0 {
			qs.MinuteLimit = min(qs.MinuteLimit, st.WindowLimit)
		}
	}
	if !st.DayResetAt.IsZero() {
		qs.ResetAt = timePtr(st.DayResetAt)
	}
	return qs, nil
}
