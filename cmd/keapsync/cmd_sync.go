package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/keapsync/keapsync/jobs"
	"github.com/keapsync/keapsync/keap"
	"github.com/keapsync/keapsync/warehouse"
)

// syncOptions are sync's flags.
type syncOptions struct {
	account   string
	streams   []string
	full      bool
	reconcile bool
	since     string
	until     string
	allowMass bool
	wait      bool
	noETA     bool
	asJSON    bool
	every     time.Duration
}

func (a *app) syncCommand() *cobra.Command {
	var o syncOptions
	cmd := &cobra.Command{
		Use:   "sync",
		Short: "Start a sync now, and with --wait work it here and follow it",
		Long: `Sync starts a run of every stream of every account (or those named) now.
A stream that is already being synced is not started twice: its run is
joined. Without --wait, sync only enqueues the runs for the work processes
and exits. With --wait, this process works the jobs too (alongside any
work process, sharing the quota ledger) and follows the runs until they
end, through quota pauses: progress per stream, redrawn on a terminal and
as plain lines otherwise. Exit status 0 when every run succeeded, 1
otherwise.

To give an ETA, --wait spends one count call per stream of a first or
full sync (--no-eta to skip them).

--since T [--until T] re-reads what changed in that range without a full
resync and without moving the checkpoint (streams read whole every run are
left out; a stream already being synced is joined, not re-read).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return a.sync(cmd.Context(), o) },
	}
	f := cmd.Flags()
	f.StringVar(&o.account, "account", "", "only this account (default: every account)")
	f.StringSliceVar(&o.streams, "stream", nil, "only these streams (repeat or comma-separate; default: the account's streams)")
	f.BoolVar(&o.full, "full", false, "reread everything instead of what changed since the checkpoint")
	f.BoolVar(&o.reconcile, "reconcile", false, "find deleted records now (list every id) instead of syncing changes")
	f.StringVar(&o.since, "since", "", "re-read what changed since this time (RFC 3339 or a date) without moving the checkpoint")
	f.StringVar(&o.until, "until", "", "with --since: up to this time (default: now)")
	f.BoolVar(&o.allowMass, "allow-mass-delete", false, "apply the deletes these runs find even when they are more than half a table "+
		"(a listing that would delete that much is otherwise applied only when a later run reads the same)")
	f.BoolVar(&o.wait, "wait", false, "work the jobs in this process too and wait until the runs end")
	f.BoolVar(&o.noETA, "no-eta", false, "with --wait: spend no count call to estimate the ETA")
	f.BoolVar(&o.asJSON, "json", false, "print the runs as JSON (with --wait: when they end; progress goes to stderr)")
	f.DurationVar(&o.every, "poll", time.Second, "with --wait: how often to look at the runs")
	_ = f.MarkHidden("poll")
	return cmd
}

func (a *app) sync(ctx context.Context, o syncOptions) error {
	if o.full && o.reconcile {
		return usagef("--full and --reconcile do not go together (a reconciliation always lists every id)")
	}
	if o.every <= 0 {
		return usagef("--poll must be positive")
	}
	var since, until time.Time
	if o.until != "" && o.since == "" {
		return usagef("--until needs --since")
	}
	if o.since != "" {
		if o.full || o.reconcile {
			return usagef("--since re-reads a time range: not with --full or --reconcile")
		}
		var err error
		if since, err = parseTimeFlag("--since", o.since); err != nil {
			return err
		}
		if until, err = parseTimeFlag("--until", o.until); err != nil {
			return err
		}
		if !since.Before(time.Now()) || !until.IsZero() && !until.After(since) {
			return usagef("--since must be in the past and before --until")
		}
	}
	// With --wait this process works jobs and may be elected River's
	// leader, which alone enqueues the schedules: it carries them too, or
	// they would stop while it leads.
	s, err := a.openSession(ctx, "sync", o.account, pipelineOptions{streams: o.streams, schedules: o.wait})
	if err != nil {
		return err
	}
	defer s.close()

	started, err := s.p.Sync(ctx, jobs.SyncRequest{Account: o.account, Streams: o.streams, Full: o.full, Reconcile: o.reconcile,
		Since: since, Until: until, AllowMassDelete: o.allowMass})
	if err != nil {
		return err
	}
	if len(started) == 0 {
		fmt.Fprintln(a.stdout, "Nothing to run (no stream of the selection can be reconciled).")
		return nil
	}
	if !o.wait {
		if o.asJSON {
			return writeJSON(a.stdout, started)
		}
		printStarted(a.stdout, started)
		fmt.Fprintln(a.stdout, "The runs are enqueued for the work processes; follow them with keapsync status, or use sync --wait.")
		return nil
	}

	progressOut := a.stdout
	if o.asJSON {
		progressOut = a.stderr
	} else {
		printStarted(a.stdout, started)
	}
	pr := a.newProgress(progressOut, a.stdoutTTY && !o.asJSON)
	if !o.noETA {
		countCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
		pr.totals = s.p.ExpectedTotals(countCtx, started)
		cancel()
	}
	begun := time.Now()
	final, err := a.workAndWait(ctx, s, started, pr, o.every)
	if err != nil {
		return err
	}
	pr.summary(final, time.Since(begun))
	if o.asJSON {
		if err := writeJSON(a.stdout, final); err != nil {
			return err
		}
	}
	return runsOutcome(final)
}

// checkStreams fails, before any side effect, for a stream that is not in
// the catalogue or not synced by the selected accounts.
func checkStreams(cfg *config, account string, streams []string) error {
	if err := checkAccount(cfg, account); err != nil {
		return err
	}
	for _, name := range streams {
		s, ok := keap.StreamByName(name)
		if !ok {
			return usagef("--stream %q is not a stream (streams: %s)", name, strings.Join(streamNames(), ", "))
		}
		for _, acct := range cfg.Accounts {
			if account != "" && acct.Name != account {
				continue
			}
			definitionsOfOne := s.CustomFieldsOf != "" && slices.Contains(acct.Streams, s.CustomFieldsOf) // they come along
			if len(acct.Streams) > 0 && !slices.Contains(acct.Streams, name) && !definitionsOfOne {
				return usagef("--stream %q is not synced for account %s (its streams: %s)", name, acct.Name, strings.Join(acct.Streams, ", "))
			}
		}
	}
	return nil
}

func printStarted(w io.Writer, runs []jobs.Run) {
	var started, joined int
	t := newTable(w)
	fmt.Fprintln(t, "RUN\tACCOUNT\tSTREAM\tKIND\t")
	for _, r := range runs {
		what := "started"
		if r.Joined {
			what = "joined (already active)"
			joined++
		} else {
			started++
		}
		kind := string(r.Kind)
		if r.Backfill && r.Kind == warehouse.RunSync {
			kind = "sync (full)"
		}
		fmt.Fprintf(t, "%d\t%s\t%s\t%s\t%s\n", r.ID, r.Account, r.Stream, kind, what)
	}
	_ = t.Flush()
	fmt.Fprintf(w, "%d run(s) started, %d joined.\n", started, joined)
}

// workAndWait works the pipeline's jobs in this process and follows runs
// until every one has ended (through quota pauses) or ctx ends. On the
// way out the workers stop softly, bounded by worker.shutdown_timeout.
func (a *app) workAndWait(ctx context.Context, s *session, runs []jobs.Run, pr runsView, every time.Duration) ([]jobs.Run, error) {
	// River cancels the jobs in flight when its start context ends: start
	// it on a context of its own and stop it softly instead.
	if err := s.p.Start(context.WithoutCancel(ctx)); err != nil {
		return nil, err
	}
	defer func() {
		stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.Worker.ShutdownTimeout)
		defer cancel()
		if err := s.p.Stop(stopCtx); err != nil {
			s.log.Warn("sync: stopping the workers", "err", err)
		}
	}()
	accounts := map[string]bool{}
	for _, r := range runs {
		accounts[r.Account] = true
	}
	final, err := s.p.Wait(ctx, runs, every, func(rs []jobs.Run) {
		quotas := map[string]accountQuota{}
		for name := range accounts {
			if aq, err := readQuota(ctx, s.p, name); err == nil {
				quotas[name] = aq
			}
		}
		pr.update(rs, quotas)
	})
	if errors.Is(err, context.Canceled) {
		return final, fmt.Errorf("interrupted: the runs go on with any keapsync work process (see keapsync status): %w", err)
	}
	return final, err
}

// runsOutcome is nil when every run succeeded.
func runsOutcome(runs []jobs.Run) error {
	var failed []string
	for _, r := range runs {
		if r.Status != warehouse.RunSucceeded {
			failed = append(failed, fmt.Sprintf("%s/%s %s: %s", r.Account, r.Stream, r.Status, dash(truncate(r.LastError, 200))))
		}
	}
	if len(failed) == 0 {
		return nil
	}
	return fmt.Errorf("%d of %d runs did not succeed (a new keapsync sync continues them from their checkpoints; keapsync jobs list --state discarded shows their jobs):\n  %s",
		len(failed), len(runs), strings.Join(failed, "\n  "))
}
