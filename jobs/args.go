package jobs

import (
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// The job kinds, stable: they are stored in River's job table.
const (
	KindAccountSync = "keapsync_account_sync"
	KindPage        = "keapsync_page"
)

// River priorities: definitions and incremental runs go before backfills, so
// a multi-day first sync of one large stream never delays the daily
// freshness of the others.
const (
	priorityAccount  = 1
	priorityFresh    = 1
	priorityBackfill = 3
)

// AccountSyncArgs starts the runs of an account's streams: enqueued by the
// periodic schedules, or on demand. It carries no secret: the API key is in
// the process's configuration, never in River's job table.
type AccountSyncArgs struct {
	// Account names the configured account.
	Account string `json:"account"`
	// Streams limits the runs to these streams; empty means the account's
	// configured streams.
	Streams []string `json:"streams,omitempty"`
	// Full rereads everything instead of what changed since the checkpoint.
	Full bool `json:"full,omitempty"`
	// Reconcile starts delete-reconciliation runs instead of syncs.
	Reconcile bool `json:"reconcile,omitempty"`
	// Trigger is "schedule" or "manual".
	Trigger string `json:"trigger"`
	// CatchUp starts, instead, the scheduled runs that came due while no
	// process led (each schedule's streams whose last run started before
	// its last due time), once however many were missed.
	CatchUp bool `json:"catch_up,omitempty"`
}

// Kind returns KindAccountSync.
func (AccountSyncArgs) Kind() string { return KindAccountSync }

// PageArgs fetches and commits the next page of one slice of a run. The
// position itself is in the slice (keapsync.run_slices), not here: a
// retried job resumes from the checkpoint, and a job whose Page no longer
// matches the slice's is stale and does nothing.
type PageArgs struct {
	Account string `json:"account"`
	Stream  string `json:"stream"`
	RunID   int64  `json:"run_id"`
	Slice   int    `json:"slice"`
	Page    int    `json:"page"`
}

// Kind returns KindPage.
func (PageArgs) Kind() string { return KindPage }

// InsertOpts makes a page job unique by its arguments among live jobs, so a
// run's chain is never duplicated when it is resumed.
func (PageArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{UniqueOpts: river.UniqueOpts{
		ByArgs: true,
		ByState: []rivertype.JobState{
			rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRunning,
			rivertype.JobStateRetryable, rivertype.JobStateScheduled,
		},
	}}
}

var (
	_ river.JobArgs               = AccountSyncArgs{}
	_ river.JobArgs               = PageArgs{}
	_ river.JobArgsWithInsertOpts = PageArgs{}
)

// queueName is the River queue of an account's jobs.
func queueName(account string) string { return "keapsync_" + account }
