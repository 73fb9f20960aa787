package jobs

import (
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/robfig/cron/v3"

	"github.com/keapsync/keapsync/keap"
	"github.com/keapsync/keapsync/migrations"
)

// Config configures a Pipeline. A zero field means its documented default.
type Config struct {
	// Pool reaches the database holding the warehouse, keapsync's state,
	// the quota ledger and River's tables, all migrated (Migrate). Required.
	// Size it to at least Workers times the number of accounts plus 6 (River's
	// own, and the two workers of the notifications' queue).
	Pool *pgxpool.Pool

	// LedgerPool, when set, serves the shared quota ledger's reservations
	// alone: a few connections of their own keep every Keap call from
	// waiting behind page commits for a connection when many jobs run at
	// once. Default Pool.
	LedgerPool *pgxpool.Pool

	// DataSchema, StateSchema and RiverSchema name the schemas, as given to
	// Migrate. Defaults "keap", "keapsync" and "river".
	DataSchema, StateSchema, RiverSchema string

	// Accounts are the Keap accounts to sync. At least one.
	Accounts []Account

	// Workers is how many jobs of each account this process works at once
	// (each account has a River queue of its own, so one account's backlog
	// never holds another's workers). Default 4.
	Workers int

	// Schedules makes this process enqueue each account's syncs on its cron
	// schedules. Among all processes, only River's elected leader enqueues,
	// so several workers do not multiply runs; any started pipeline can be
	// elected, so every one that works jobs must set it (`keapsync work` and
	// `sync --wait` do), or the schedules stop while it leads.
	Schedules bool

	// Overlap is how far before the checkpoint an incremental run starts
	// reading, because Keap documents neither the precision nor the
	// inclusivity of its time filters (and clocks drift). Re-read records
	// are upserted idempotently. Default 10m (zero); negative means none.
	Overlap time.Duration

	// JobTimeout bounds one page job (a fetch and its commit). Default 60s.
	JobTimeout time.Duration

	// RescueAfter is how long a job may stay running before River presumes
	// its worker dead and hands it to another. Default JobTimeout + 30s.
	RescueAfter time.Duration

	// Retry bounds the retries of transient failures (5xx, network,
	// database). See RetryConfig for defaults.
	Retry RetryConfig

	// QuotaWait is the longest a page job blocks waiting for a quota slot
	// (the per-second spacing or the rolling minute); a longer wait snoozes
	// the job instead of holding a worker. Default 5s.
	QuotaWait time.Duration

	// SnoozeJitter is the most added at random to a snooze until the daily
	// reset, so the waiting jobs of many accounts do not wake at once.
	// Default 30s.
	SnoozeJitter time.Duration

	// MaxSlices is the most parallel readers of one stream: a large read
	// whose pages come back slower than the quota allows is split into
	// this many id ranges. Default Workers.
	MaxSlices int

	// MaxDeleteFraction bounds what one reading (a delete reconciliation,
	// a custom-field model) may soft-delete: more than this fraction of a
	// table's live rows (for a small table, any share over it: one row of
	// one) is taken for a faulty listing. Nothing is deleted and the run
	// fails; a later run that reads the same applies it, as does
	// SyncRequest.AllowMassDelete. Default 0.5.
	MaxDeleteFraction float64

	// Logger receives structured logs (account, stream, run_id, page).
	// Default: discard.
	Logger *slog.Logger

	// Metrics receives counters and timings. Default: none.
	Metrics Metrics

	// Now tells the time for run windows and snoozes. Default time.Now.
	Now func() time.Time

	// PauseRecheck is how often a held page job of a paused stream looks
	// again whether it may start (keapsync pause). Default 15s.
	PauseRecheck time.Duration

	// PollInterval is how often River looks for new jobs when no
	// notification arrives (and how often Wait polls). Default 1s.
	PollInterval time.Duration

	// WatchInterval is how often the leader looks for streams stale past
	// their schedule (IncidentStale). Default 1m.
	WatchInterval time.Duration

	// PageSize, when set, caps the records per page below each stream's
	// largest (1,000; users 100). Every call is precious, so production
	// leaves it 0; tests shrink it to read many pages from small tenants.
	PageSize int
}

// RetryConfig bounds River's retries of a page job failing transiently.
// Retries wait an exponential backoff with jitter, from the checkpoint.
type RetryConfig struct {
	// MaxAttempts is the most attempts of one job before it is discarded
	// (visible to operators, retryable with `keapsync jobs retry`).
	// Default 10.
	MaxAttempts int
	// BaseDelay is the backoff after the first failure. Default 5s.
	BaseDelay time.Duration
	// MaxDelay caps the backoff. Default 10m.
	MaxDelay time.Duration
}

// Account is one Keap account to sync.
type Account struct {
	// Name identifies the account in the warehouse, the quota ledger and
	// River's queue: lowercase letters and digits, single underscores
	// between them, at most 50 characters.
	Name string

	// Keap configures the account's client: BaseURL, Credential, Quota,
	// Timeouts, Retry. Account, Store and Logger are set by the pipeline
	// (the quota ledger shares the account's budget with every process).
	Keap keap.Config

	// Schedule is the cron schedule of the account's syncs
	// (robfig/cron/v3 standard syntax: five fields or @daily, with an
	// optional CRON_TZ= prefix). Empty: syncs only on demand.
	Schedule string

	// ReconcileSchedule is the cron schedule of delete reconciliation
	// (listing every id to find deleted records). Empty: none.
	ReconcileSchedule string

	// Streams limits the synced streams to these catalogue names. Default
	// every stream.
	Streams []string

	// Notify is where the account's incidents (a failed run, a discarded
	// job, a rejected key, a stream stale past its schedule) are posted.
	// Default: nowhere.
	Notify Notify

	// RereadWindows sets, by stream, how far back each incremental run
	// reads again, for the streams the catalogue gives a re-read window
	// (keap.Stream.RereadWindow: emails, whose opens and clicks come after
	// the creation time their filter sees). A stream left out gets the
	// catalogue's window; 0 means none beyond the overlap.
	RereadWindows map[string]time.Duration
}

// rereadWindow is how far back an incremental run of s re-reads.
func (a Account) rereadWindow(s keap.Stream) time.Duration {
	if w, ok := a.RereadWindows[s.Name]; ok {
		return max(w, 0)
	}
	return s.RereadWindow
}

// ConfigError reports an invalid Config field.
type ConfigError struct {
	Field  string
	Reason string
}

// Error names the field and why it is invalid.
func (e *ConfigError) Error() string { return "jobs: invalid config: " + e.Field + ": " + e.Reason }

// accountName fits River's queue names ("keapsync_" + name) and the
// warehouse's account column.
var accountName = regexp.MustCompile(`^[a-z0-9]+(_[a-z0-9]+)*$`)

// ValidateAccountName reports whether name can name an account.
func ValidateAccountName(name string) error {
	if len(name) > 50 || !accountName.MatchString(name) {
		return fmt.Errorf("%q: want lowercase letters and digits with single underscores between them, at most 50 characters", name)
	}
	return nil
}

// ParseSchedule parses a cron schedule as the pipeline does: five fields
// or a descriptor such as @daily, in UTC unless prefixed with
// CRON_TZ=<zone> (or TZ=<zone>). Not the host's zone: a nightly 02:00 there
// falls into a daylight-saving gap once a year and is skipped, and the
// schedule would move with the machine it runs on.
func ParseSchedule(expr string) (cron.Schedule, error) {
	spec := strings.TrimSpace(expr)
	if !strings.HasPrefix(spec, "CRON_TZ=") && !strings.HasPrefix(spec, "TZ=") {
		spec = "CRON_TZ=UTC " + spec
	}
	s, err := cron.ParseStandard(spec)
	if err != nil {
		return nil, fmt.Errorf("cron schedule %q: %w", expr, err)
	}
	return s, nil
}

func (c Config) withDefaults() Config {
	if c.DataSchema == "" {
		c.DataSchema = migrations.DefaultDataSchema
	}
	if c.StateSchema == "" {
		c.StateSchema = migrations.DefaultStateSchema
	}
	if c.RiverSchema == "" {
		c.RiverSchema = DefaultRiverSchema
	}
	if c.Workers == 0 {
		c.Workers = 4
	}
	switch {
	case c.Overlap == 0:
		c.Overlap = 10 * time.Minute
	case c.Overlap < 0:
		c.Overlap = 0 // none
	}
	if c.JobTimeout == 0 {
		c.JobTimeout = 60 * time.Second
	}
	if c.RescueAfter == 0 {
		c.RescueAfter = c.JobTimeout + 30*time.Second
	}
	if c.Retry.MaxAttempts == 0 {
		c.Retry.MaxAttempts = 10
	}
	if c.Retry.BaseDelay == 0 {
		c.Retry.BaseDelay = 5 * time.Second
	}
	if c.Retry.MaxDelay == 0 {
		c.Retry.MaxDelay = 10 * time.Minute
	}
	if c.QuotaWait == 0 {
		c.QuotaWait = 5 * time.Second
	}
	if c.SnoozeJitter == 0 {
		c.SnoozeJitter = 30 * time.Second
	}
	if c.MaxSlices == 0 {
		c.MaxSlices = c.Workers
	}
	if c.MaxDeleteFraction == 0 {
		c.MaxDeleteFraction = 0.5
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Metrics == nil {
		c.Metrics = NopMetrics{}
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.PauseRecheck == 0 {
		c.PauseRecheck = 15 * time.Second
	}
	if c.PollInterval == 0 {
		c.PollInterval = time.Second
	}
	if c.WatchInterval == 0 {
		c.WatchInterval = time.Minute
	}
	return c
}

func (c Config) validate() error {
	if c.Pool == nil {
		return &ConfigError{Field: "Pool", Reason: "required"}
	}
	for _, s := range []struct{ field, name string }{
		{"DataSchema", c.DataSchema}, {"StateSchema", c.StateSchema}, {"RiverSchema", c.RiverSchema},
	} {
		if err := migrations.ValidateSchemaName(s.name); err != nil {
			return &ConfigError{Field: s.field, Reason: err.Error()}
		}
	}
	if len(c.Accounts) == 0 {
		return &ConfigError{Field: "Accounts", Reason: "at least one account is required"}
	}
	seen := map[string]bool{}
	for i, a := range c.Accounts {
		field := fmt.Sprintf("Accounts[%d]", i)
		if err := ValidateAccountName(a.Name); err != nil {
			return &ConfigError{Field: field + ".Name", Reason: err.Error()}
		}
		if seen[a.Name] {
			return &ConfigError{Field: field + ".Name", Reason: fmt.Sprintf("%q is used twice", a.Name)}
		}
		seen[a.Name] = true
		for name, expr := range map[string]string{"Schedule": a.Schedule, "ReconcileSchedule": a.ReconcileSchedule} {
			if expr == "" {
				continue
			}
			if _, err := ParseSchedule(expr); err != nil {
				return &ConfigError{Field: field + "." + name, Reason: err.Error()}
			}
		}
		for j, s := range a.Streams {
			if _, ok := keap.StreamByName(s); !ok {
				return &ConfigError{Field: fmt.Sprintf("%s.Streams[%d]", field, j), Reason: fmt.Sprintf("unknown stream %q", s)}
			}
		}
		for name := range a.RereadWindows {
			if st, ok := keap.StreamByName(name); !ok || st.RereadWindow == 0 {
				return &ConfigError{Field: field + ".RereadWindows", Reason: fmt.Sprintf("stream %q has no re-read window (only streams whose changes their filter cannot see do: emails)", name)}
			}
		}
		if err := a.Notify.validate(field + ".Notify"); err != nil {
			return err
		}
	}
	for _, d := range []struct {
		field string
		v     time.Duration
	}{
		{"Overlap", c.Overlap}, {"JobTimeout", c.JobTimeout}, {"RescueAfter", c.RescueAfter},
		{"Retry.BaseDelay", c.Retry.BaseDelay}, {"Retry.MaxDelay", c.Retry.MaxDelay},
		{"QuotaWait", c.QuotaWait}, {"SnoozeJitter", c.SnoozeJitter}, {"PollInterval", c.PollInterval},
		{"WatchInterval", c.WatchInterval},
	} {
		if d.v < 0 {
			return &ConfigError{Field: d.field, Reason: "must not be negative"}
		}
	}
	if c.RescueAfter <= c.JobTimeout {
		return &ConfigError{Field: "RescueAfter", Reason: "must be longer than JobTimeout, or running jobs would be rescued"}
	}
	if c.Workers < 1 || c.Workers > 1000 {
		return &ConfigError{Field: "Workers", Reason: "must be 1 to 1000"}
	}
	if c.PageSize < 0 {
		return &ConfigError{Field: "PageSize", Reason: "must not be negative"}
	}
	if c.MaxSlices < 1 {
		return &ConfigError{Field: "MaxSlices", Reason: "must be at least 1"}
	}
	if c.Retry.MaxAttempts < 1 {
		return &ConfigError{Field: "Retry.MaxAttempts", Reason: "must be at least 1"}
	}
	if c.MaxDeleteFraction < 0 || c.MaxDeleteFraction > 1 {
		return &ConfigError{Field: "MaxDeleteFraction", Reason: "must be between 0 and 1"}
	}
	return nil
}
