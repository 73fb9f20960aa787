package main

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/keapsync/keapsync/jobs"
)

func (a *app) jobsCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "jobs",
		Short: "List, retry and cancel keapsync's River jobs",
		Long: `Every page of every sync is a River job. jobs list shows them; jobs retry
runs failed (retryable or discarded) jobs again at once, resuming their
sync run from its checkpoint; jobs cancel ends a job and its sync run (a
later sync continues from the checkpoint). River UI, served by work at
/riverui/, does the same in a browser.`,
		Args: cobra.NoArgs,
	}
	cmd.AddCommand(a.jobsListCommand(), a.jobsRetryCommand(), a.jobsCancelCommand())
	return cmd
}

func (a *app) jobsListCommand() *cobra.Command {
	var (
		states  []string
		account string
		limit   int
		asJSON  bool
	)
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List jobs, newest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			for _, s := range states {
				if !slices.Contains(jobs.JobStates, s) {
					return usagef("--state %q: want one of %s", s, strings.Join(jobs.JobStates, ", "))
				}
			}
			if limit < 1 || limit > 10_000 {
				return usagef("--limit %d: want 1 to 10000", limit)
			}
			ctx := cmd.Context()
			s, err := a.openSession(ctx, "jobs", account, pipelineOptions{})
			if err != nil {
				return err
			}
			defer s.close()
			list, err := s.p.Jobs(ctx, jobs.JobFilter{States: states, Account: account, Limit: limit})
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(a.stdout, list)
			}
			return printJobs(a.stdout, list)
		},
	}
	f := cmd.Flags()
	f.StringSliceVar(&states, "state", nil, "only jobs in these states (repeat or comma-separate): "+strings.Join(jobs.JobStates, ", "))
	f.StringVar(&account, "account", "", "only this account's jobs")
	f.IntVar(&limit, "limit", 100, "list at most this many jobs")
	f.BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func printJobs(w io.Writer, list []jobs.Job) error {
	if len(list) == 0 {
		_, err := fmt.Fprintln(w, "No jobs.")
		return err
	}
	t := newTable(w)
	fmt.Fprintln(t, "ID\tKIND\tSTATE\tACCOUNT\tSTREAM\tRUN\tPAGE\tATTEMPT\tSCHEDULED\tLAST ERROR")
	for _, j := range list {
		run, page := "-", "-"
		if j.RunID != 0 {
			run, page = fmt.Sprint(j.RunID), fmt.Sprint(j.Page)
		}
		fmt.Fprintf(t, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%d/%d\t%s\t%s\n", j.ID, shortKind(j.Kind), j.State, j.Account, dash(j.Stream),
			run, page, j.Attempt, j.MaxAttempts, clock(&j.ScheduledAt), dash(truncate(j.LastError, 60)))
	}
	return t.Flush()
}

func shortKind(kind string) string {
	switch kind {
	case jobs.KindPage:
		return "page"
	case jobs.KindAccountSync:
		return "account_sync"
	}
	return kind
}

func describeJob(j jobs.Job) string {
	if j.Stream != "" {
		return fmt.Sprintf("job %d (%s %s/%s, run %d, now %s)", j.ID, shortKind(j.Kind), j.Account, j.Stream, j.RunID, j.State)
	}
	return fmt.Sprintf("job %d (%s %s, now %s)", j.ID, shortKind(j.Kind), j.Account, j.State)
}

func (a *app) jobsRetryCommand() *cobra.Command {
	var (
		allDiscarded bool
		account      string
	)
	cmd := &cobra.Command{
		Use:   "retry ID... | --all-discarded",
		Short: "Run failed jobs again now, resuming their sync runs",
		RunE: func(cmd *cobra.Command, args []string) error {
			ids, err := parseIDs(args)
			switch {
			case err != nil:
				return err
			case allDiscarded && len(ids) > 0:
				return usagef("give job ids or --all-discarded, not both")
			case !allDiscarded && len(ids) == 0:
				return usagef("give the ids of the jobs to retry (keapsync jobs list --state discarded), or --all-discarded")
			case account != "" && !allDiscarded:
				return usagef("--account goes with --all-discarded")
			}
			ctx := cmd.Context()
			s, err := a.openSession(ctx, "jobs", account, pipelineOptions{})
			if err != nil {
				return err
			}
			defer s.close()
			var done []jobs.Job
			if allDiscarded {
				done, err = s.p.RetryDiscarded(ctx, account)
			} else {
				done, err = s.p.RetryJobs(ctx, ids...)
			}
			for _, j := range done {
				fmt.Fprintf(a.stdout, "Retried %s.\n", describeJob(j))
			}
			if allDiscarded && len(done) == 0 && err == nil {
				fmt.Fprintln(a.stdout, "No discarded job to retry.")
			}
			return err
		},
	}
	cmd.Flags().BoolVar(&allDiscarded, "all-discarded", false, "retry every discarded job")
	cmd.Flags().StringVar(&account, "account", "", "with --all-discarded: only this account's jobs")
	return cmd
}

func (a *app) jobsCancelCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "cancel ID...",
		Short: "Cancel jobs and end their sync runs",
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usagef("give the ids of the jobs to cancel (keapsync jobs list)")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			ids, err := parseIDs(args)
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			s, err := a.openSession(ctx, "jobs", "", pipelineOptions{})
			if err != nil {
				return err
			}
			defer s.close()
			done, err := s.p.CancelJobs(ctx, ids...)
			for _, j := range done {
				fmt.Fprintf(a.stdout, "Cancelled %s.\n", describeJob(j))
			}
			return err
		},
	}
}
