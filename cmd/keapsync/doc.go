// Command keapsync copies Keap CRM accounts into a PostgreSQL warehouse on
// a schedule, within Keap's API quotas. It is the one binary users meet:
//
//	keapsync demo                 the whole thing against a simulated Keap, no account needed
//	keapsync migrate              create or update the tables (idempotent, safe concurrently)
//	keapsync work                 work the jobs, run the schedules, serve HTTP (metrics, River UI)
//	keapsync sync [--wait]        start a sync now; --wait works it here and follows it
//	keapsync status [--json]      each stream's state, the quota left, the jobs
//	keapsync jobs list|retry|cancel
//	keapsync pause|resume         hold accounts or streams, and let them go
//	keapsync checkpoint reset     move a stream's high-water mark back, or forget it
//	keapsync quota reset          forget what Keap's headers reported
//	keapsync plan                 what a first sync and the daily runs cost in calls
//	keapsync config check         validate the configuration, print it redacted
//	keapsync version
//
// The configuration is a YAML file (config.example.yaml documents every
// key); config.go loads, expands and validates it in one place. The
// commands wire package jobs to it: they hold no sync logic of their own.
// Exit status: 0 success, 1 a failure at run time, 2 bad usage or bad
// configuration (found before any side effect).
package main
