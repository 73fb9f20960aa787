// Package jobs is keapsync's sync pipeline on River: the one place where the
// Keap client (package keap) and the warehouse meet. It starts runs on
// schedules or on demand, reads each stream page by page within the
// account's quota, maps Keap records into typed warehouse rows, and maps
// every failure to a River outcome. Package cmd/keapsync only wires it.
//
// # Runs, slices and pages
//
// A run is one sync (or one delete reconciliation) of one stream of one
// account (warehouse.SyncRun). A stream never has two active runs of a
// kind: a schedule firing while a slow run goes on, or a second "sync now",
// joins the active run. A run reads an update-time window, [checkpoint -
// Overlap, run start], in one or more slices: readers with a position of
// their own (a keyset id, a page token or an offset), kept in
// keapsync.run_slices.
//
// Each page is a River job (PageArgs). It fetches the page its slice is at,
// then in one transaction upserts the rows, advances the slice (the
// checkpoint), adds the run's progress, inserts the next page's job and
// completes itself (river.JobCompleteTx). A crash at any instant commits
// all of that or none of it; a job that runs twice (a rescued job whose
// worker was alive after all) finds its page already committed and does
// nothing. Jobs are short (one page), so River's rescuer hands a dead
// worker's job to another soon after Config.RescueAfter.
//
// When every slice is done the run succeeds and the stream's high-water
// mark moves to the run's window end. A run that failed keeps its slices'
// positions: retrying its discarded or cancelled job resumes it, and the
// next scheduled run continues its unfinished keyset slices from where they
// stopped (reading what changed since in a slice of its own), so no sync
// ever restarts from scratch.
//
// # Quota
//
// Each account has one keap.Client per process, its counts in the
// warehouse's quota ledger, so every process on every machine shares one
// budget. A call the quota cannot grant within Config.QuotaWait returns
// without touching the network and the job snoozes until the quota allows
// it (River snoozes use no attempt). A spent day marks the run
// paused_quota until Keap's reset, when the jobs continue from their
// checkpoints: no page is fetched twice.
//
// A large keyset read whose pages come back slower than the quota's pace
// is split into id ranges read in parallel (split.go), so the quota, not
// Keap's latency, sets the pace.
//
// # Fairness
//
// Every account has a River queue of its own with Config.Workers workers
// per process, so one account's backlog never holds another's workers, and
// each account's quota is its own. Within an account, a run's chain has
// one job waiting at a time, so a large stream's backlog is one job in the
// queue, not thousands. Backfills (first syncs and full resyncs) run at a
// lower River priority than incremental runs and custom-field definitions,
// and their calls are background calls: they may spend only
// keap.QuotaConfig.BackgroundShare of each day's budget, so a multi-day
// first sync of one large stream never stops the small streams from being
// kept fresh each day.
//
// # Errors
//
// classify (outcome.go) decides what a page's failure calls for, a pure
// function with a table test of every case: quota → snooze; rejected key →
// the account's jobs cancelled and its runs failed with a message naming the
// account; other permanent errors → job cancelled, run failed with the
// reason; anything else → River retries with backoff (RetryConfig), and the
// run fails on the last attempt. Pipeline.outcome records the decision in
// one transaction.
//
// # Runs
//
// A run has one owner, syncRun (run.go): its methods are the only place a
// run starts, commits a page, pauses, resumes, fails, is cancelled or
// finishes, and the only place page jobs are enqueued, each on the caller's
// transaction.
//
// This package reads no environment variable and no file: cmd passes
// everything in Config.
package jobs
