package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"riverqueue.com/riverui"

	"github.com/keapsync/keapsync/keap"
	"github.com/keapsync/keapsync/warehouse"
)

// Pipeline syncs the configured Keap accounts into the warehouse with River
// jobs. New builds it; Start works jobs (and, with Config.Schedules,
// enqueues the scheduled syncs) until Stop. A Pipeline that is never
// started still serves the command line: Sync, Status, Wait and the job
// listing work against the database alone.
type Pipeline struct {
	cfg      Config
	wh       *warehouse.Warehouse
	ledger   *warehouse.QuotaLedger
	river    *river.Client[pgx.Tx]
	accounts map[string]*account
	order    []string // account names in configuration order
	log      *slog.Logger
	metrics  Metrics

	// processID names this process's row once started (register), and
	// stopHeartbeat ends its renewal.
	processID     string
	stopHeartbeat context.CancelFunc
}

// riverDriver is the River driver type JobCompleteTx needs.
type riverDriver = riverpgxv5.Driver

// account is one configured account with its client.
type account struct {
	Account
	client  *keap.Client
	streams []keap.Stream // the synced streams, in catalogue order
	queue   string
}

// New validates cfg and builds the pipeline: one Keap client per account,
// its quota shared with every process through the warehouse's ledger.
func New(cfg Config) (*Pipeline, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	wh, err := warehouse.New(warehouse.Config{DataSchema: cfg.DataSchema, StateSchema: cfg.StateSchema})
	if err != nil {
		return nil, fmt.Errorf("jobs: %w", err)
	}
	p := &Pipeline{
		cfg:      cfg,
		wh:       wh,
		accounts: make(map[string]*account, len(cfg.Accounts)),
		log:      cfg.Logger,
		metrics:  cfg.Metrics,
	}
	ledgerPool := cfg.LedgerPool
	if ledgerPool == nil {
		ledgerPool = cfg.Pool
	}
	// The ledger decides on the database's clock and hands grants back on
	// this process's (cfg.Now), the clock every client here runs on.
	ledger := wh.QuotaLedger(ledgerPool, warehouse.QuotaLedgerOptions{Now: cfg.Now})
	p.ledger = ledger
	for i, a := range cfg.Accounts {
		kc := a.Keap
		kc.Account = a.Name
		kc.Store = ledger
		if kc.Clock == nil {
			kc.Clock = processClock{now: cfg.Now}
		}
		kc.Logger = cfg.Logger.With(slog.String("account", a.Name))
		if kc.Quota.MaxWait == 0 || kc.Quota.MaxWait > cfg.QuotaWait {
			kc.Quota.MaxWait = cfg.QuotaWait
		}
		// A request must end well within its job, so a hung response
		// fails the attempt rather than the job's deadline.
		if limit := cfg.JobTimeout * 3 / 4; kc.Timeouts.Request == 0 || kc.Timeouts.Request > limit {
			kc.Timeouts.Request = limit
		}
		name, metrics, observe := a.Name, cfg.Metrics, kc.ObserveFunc
		kc.ObserveFunc = func(c keap.Call) {
			metrics.Call(name, c)
			if observe != nil {
				observe(c)
			}
		}
		client, err := keap.New(kc)
		if err != nil {
			var ce *keap.ConfigError
			if errors.As(err, &ce) {
				return nil, &ConfigError{Field: fmt.Sprintf("Accounts[%d].Keap.%s", i, ce.Field), Reason: ce.Reason}
			}
			return nil, fmt.Errorf("jobs: account %s: %w", a.Name, err)
		}
		acct := &account{Account: a, client: client, queue: queueName(a.Name)}
		for _, s := range keap.Streams {
			if len(a.Streams) == 0 || wanted(s, a.Streams) {
				acct.streams = append(acct.streams, s)
			}
		}
		p.accounts[a.Name] = acct
		p.order = append(p.order, a.Name)
	}

	workers := river.NewWorkers()
	if err := river.AddWorkerSafely(workers, &accountSyncWorker{p: p}); err != nil {
		return nil, fmt.Errorf("jobs: %w", err)
	}
	if err := river.AddWorkerSafely(workers, &pageWorker{p: p}); err != nil {
		return nil, fmt.Errorf("jobs: %w", err)
	}
	notifier := &notifyWorker{p: p, client: &http.Client{CheckRedirect: noRedirects}}
	if err := river.AddWorkerSafely(workers, notifier); err != nil {
		return nil, fmt.Errorf("jobs: %w", err)
	}
	if err := river.AddWorkerSafely(workers, &watchWorker{p: p}); err != nil {
		return nil, fmt.Errorf("jobs: %w", err)
	}
	queues := make(map[string]river.QueueConfig, len(p.accounts)+1)
	queues[notifyQueue] = river.QueueConfig{MaxWorkers: 2}
	for _, a := range p.accounts {
		queues[a.queue] = river.QueueConfig{MaxWorkers: cfg.Workers}
	}
	var periodic []*river.PeriodicJob
	if cfg.Schedules {
		for _, name := range p.order {
			periodic = append(periodic, p.accounts[name].periodicJobs()...)
		}
		periodic = append(periodic, river.NewPeriodicJob(river.PeriodicInterval(cfg.WatchInterval), func() (river.JobArgs, *river.InsertOpts) {
			return WatchArgs{}, nil
		}, &river.PeriodicJobOpts{ID: "keapsync_watch"}))
	}
	rc, err := river.NewClient(riverpgxv5.New(cfg.Pool), &river.Config{
		Schema:               cfg.RiverSchema,
		Queues:               queues,
		Workers:              workers,
		PeriodicJobs:         periodic,
		JobTimeout:           cfg.JobTimeout,
		RescueStuckJobsAfter: cfg.RescueAfter,
		MaxAttempts:          cfg.Retry.MaxAttempts,
		RetryPolicy:          retryPolicy{cfg: cfg.Retry, now: cfg.Now},
		FetchPollInterval:    cfg.PollInterval,
		// A page's next job is inserted as it commits: fetch it at once,
		// so a chain of pages is not paced by River's default 100ms.
		FetchCooldown: 20 * time.Millisecond,
		Logger:        cfg.Logger.With(slog.String("component", "river")),
	})
	if err != nil {
		return nil, fmt.Errorf("jobs: river client: %w", err)
	}
	p.river = rc
	return p, nil
}

// processClock is the keap.Clock of the pipeline's Now: the clock the
// ledger converts its grants to.
type processClock struct{ now func() time.Time }

func (c processClock) Now() time.Time { return c.now() }

func (c processClock) Sleep(ctx context.Context, d time.Duration) error {
	return keap.SystemClock{}.Sleep(ctx, d)
}

// ForgetQuota makes the quota ledger forget what Keap reported for account
// (every configured account when empty): the limits, the day's reset and
// count. The operator's way out of a reading that should not have been
// believed (`keapsync quota reset`); the next response brings Keap's word
// again.
func (p *Pipeline) ForgetQuota(ctx context.Context, account string) error {
	names := p.order
	if account != "" {
		if p.accounts[account] == nil {
			return fmt.Errorf("jobs: forget quota of %q: %w", account, ErrUnknownAccount)
		}
		names = []string{account}
	}
	for _, name := range names {
		if err := p.accounts[name].client.ForgetQuota(ctx); err != nil {
			return fmt.Errorf("jobs: %w", err)
		}
	}
	return nil
}

// periodicJobs are the account's scheduled syncs and reconciliations.
func (a *account) periodicJobs() []*river.PeriodicJob {
	var out []*river.PeriodicJob
	add := func(id, expr string, reconcile bool) {
		if expr == "" {
			return
		}
		sched, err := ParseSchedule(expr) // validated in New
		if err != nil {
			return
		}
		args := AccountSyncArgs{Account: a.Name, Reconcile: reconcile, Trigger: string(warehouse.TriggerSchedule)}
		out = append(out, river.NewPeriodicJob(sched, func() (river.JobArgs, *river.InsertOpts) {
			return args, &river.InsertOpts{Queue: a.queue, Priority: priorityAccount, Tags: []string{"account-" + a.Name}}
		}, &river.PeriodicJobOpts{ID: id}))
	}
	add("keapsync_sync_"+a.Name, a.Schedule, false)
	add("keapsync_reconcile_"+a.Name, a.ReconcileSchedule, true)
	if len(out) > 0 {
		// Inserted once each time a leader is elected (the process
		// starts, or takes over): it makes up what came due while none led.
		args := AccountSyncArgs{Account: a.Name, CatchUp: true, Trigger: string(warehouse.TriggerSchedule)}
		out = append(out, river.NewPeriodicJob(never{}, func() (river.JobArgs, *river.InsertOpts) {
			return args, &river.InsertOpts{Queue: a.queue, Priority: priorityAccount}
		}, &river.PeriodicJobOpts{ID: "keapsync_catch_up_" + a.Name, RunOnStart: true}))
	}
	return out
}

// never is a River schedule that never comes due: a periodic job that runs
// only on start.
type never struct{}

func (never) Next(current time.Time) time.Time { return current.AddDate(100, 0, 0) }

// Start works the accounts' jobs (and enqueues their schedules when
// configured) until ctx is done or Stop is called. It first records the
// process and its configuration of each account, and fails with
// ErrConfigConflict when a live process works one of them differently.
// Transient database errors on the way (a dropped connection, a server
// restarting) are tried again with backoff for up to a minute.
func (p *Pipeline) Start(ctx context.Context) error {
	// A database that drops the connection as the process starts (a
	// restart, a failover, an administrator ending sessions) is waited out
	// for a while rather than ending the process.
	delay := 100 * time.Millisecond
	deadline := time.Now().Add(startRetryFor)
	for {
		err := p.start(ctx)
		if err == nil || !warehouse.IsRetryable(err) || !time.Now().Add(delay).Before(deadline) {
			return err
		}
		p.log.LogAttrs(ctx, slog.LevelWarn, "jobs: start failed; trying again",
			slog.Duration("in", delay), slog.String("error", err.Error()))
		select {
		case <-ctx.Done():
			return err
		case <-time.After(delay):
		}
		delay = min(2*delay, 5*time.Second)
	}
}

// startRetryFor bounds how long Start tries again after transient database
// errors.
const startRetryFor = time.Minute

func (p *Pipeline) start(ctx context.Context) error {
	if err := p.register(ctx); err != nil {
		return err
	}
	if err := p.river.Start(ctx); err != nil {
		p.unregister(ctx)
		return fmt.Errorf("jobs: start: %w", err)
	}
	hbCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	p.stopHeartbeat = stop
	go p.heartbeat(hbCtx)
	return nil
}

// Stop stops working jobs: running page jobs get until ctx is done to
// finish (a page fetched but not committed is fetched again by whichever
// worker takes the job next), then they are cancelled. Nothing is lost:
// every page commits with its checkpoint or not at all.
func (p *Pipeline) Stop(ctx context.Context) error {
	defer func() {
		for _, a := range p.accounts {
			a.client.CloseIdleConnections()
		}
		if p.stopHeartbeat != nil {
			p.stopHeartbeat()
		}
		p.unregister(ctx)
	}()
	err := p.river.Stop(ctx)
	if err == nil {
		return nil
	}
	cancelCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err2 := p.river.StopAndCancel(cancelCtx); err2 != nil {
		return fmt.Errorf("jobs: stop: %w", errors.Join(err, err2))
	}
	return nil
}

// Stopped is closed once a started pipeline has stopped.
func (p *Pipeline) Stopped() <-chan struct{} { return p.river.Stopped() }

// UI returns River UI over the pipeline's jobs, served below prefix; start
// it before serving it (Handler.Start).
func (p *Pipeline) UI(logger *slog.Logger, prefix string) (*riverui.Handler, error) {
	h, err := riverui.NewHandler(&riverui.HandlerOpts{
		Endpoints: riverui.NewEndpoints(p.river, nil),
		Logger:    logger,
		Prefix:    prefix,
	})
	if err != nil {
		return nil, fmt.Errorf("jobs: river ui: %w", err)
	}
	return h, nil
}

// Accounts returns the configured account names in configuration order.
func (p *Pipeline) Accounts() []string { return slices.Clone(p.order) }

// logger returns the logger with a job's identifying attributes.
func (p *Pipeline) logger(args PageArgs) *slog.Logger {
	return p.log.With(slog.String("account", args.Account), slog.String("stream", args.Stream),
		slog.Int64("run_id", args.RunID), slog.Int("slice", args.Slice), slog.Int("page", args.Page))
}
