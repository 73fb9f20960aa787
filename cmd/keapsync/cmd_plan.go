package main

import (
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/keapsync/keapsync/jobs"
)

func (a *app) planCommand() *cobra.Command {
	var (
		account string
		asJSON  bool
	)
	cmd := &cobra.Command{
		Use:   "plan",
		Short: "Estimate what syncing costs in API calls and days of quota",
		Long: `Plan estimates, per stream, the calls of the first full sync, of a
scheduled incremental run and of a delete reconciliation, and how many days
of the daily budget the first sync takes. It fetches no data: it makes one
count call per countable stream (two where the count filters by update
time), spent from the account's quota like any other call.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			s, err := a.openSession(ctx, "plan", account, pipelineOptions{})
			if err != nil {
				return err
			}
			defer s.close()
			names := s.p.Accounts()
			if account != "" {
				names = []string{account}
			}
			var plans []jobs.Plan
			for _, name := range names {
				plan, err := s.p.Plan(ctx, name)
				if err != nil {
					return err
				}
				plans = append(plans, plan)
			}
			if asJSON {
				return writeJSON(a.stdout, plans)
			}
			for i, plan := range plans {
				if i > 0 {
					fmt.Fprintln(a.stdout)
				}
				if err := printPlan(a.stdout, plan, s.cfg.account(plan.Account)); err != nil {
					return err
				}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&account, "account", "", "only this account")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON (a list of plans)")
	return cmd
}

func printPlan(w io.Writer, plan jobs.Plan, acct *accountConfig) error {
	fmt.Fprintf(w, "Account %s (estimated with %s count calls; no data fetched)\n", plan.Account, num(plan.CountCalls))
	t := newTable(w)
	fmt.Fprintln(t, "  STREAM\tMODE\tRECORDS\tCHANGED/RUN\tFIRST SYNC\tINCREMENTAL\tRECONCILE\tESTIMATE")
	for _, s := range plan.Streams {
		fmt.Fprintf(t, "  %s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", s.Stream, s.Mode, count(s.Records), count(s.Changed),
			num(s.FirstSync), num(s.Incremental), num(s.Reconcile), s.Estimate)
	}
	fmt.Fprintf(t, "  total\t\t\t\t%s\t%s\t%s\t\n", num(plan.FirstSync), num(plan.Incremental), num(plan.Reconcile))
	if err := t.Flush(); err != nil {
		return err
	}
	if plan.DayBudget < 0 {
		fmt.Fprintln(w, "  No daily limit is configured: the calls above are spent at the per-second and per-minute rates.")
		return nil
	}
	fmt.Fprintf(w, "  Daily budget: %s calls (backfills may spend %.0f%% of it; the rest stays with incremental runs).\n",
		num(plan.DayBudget), plan.BackgroundShare*100)
	switch {
	case plan.FirstSyncDays <= 1:
		fmt.Fprintf(w, "  First sync: %s calls, %s of one day's backfill share: done in one day.\n",
			num(plan.FirstSync), percent(plan.FirstSyncDays))
	default:
		fmt.Fprintf(w, "  First sync: %s calls, %.1f days of budget: it pauses when each day's share is spent and resumes after the reset.\n",
			num(plan.FirstSync), plan.FirstSyncDays)
	}
	schedule := "no schedule (on demand; estimated as daily)"
	if acct != nil && acct.Schedule != "" {
		schedule = fmt.Sprintf("schedule %q", acct.Schedule)
	}
	fmt.Fprintf(w, "  Incremental runs: %s calls a run, %s, %.1f runs a day: %s of the daily budget.\n",
		num(plan.Incremental), schedule, plan.RunsPerDay, percent(plan.IncrementalShare))
	for _, sp := range plan.Streams {
		if sp.RereadWindow > 0 {
			fmt.Fprintf(w, "  %s: each run re-reads the last %s (%s records, so that opens and clicks land): %s calls a run; its first sync alone takes %.1f days of the backfill share.\n",
				sp.Stream, roughDuration(sp.RereadWindow), count(sp.Changed), num(sp.Incremental), sp.FirstSyncDays)
		}
	}
	if acct != nil && acct.ReconcileDeletes != "" && plan.Reconcile > 0 {
		if every := scheduleInterval(acct.ReconcileDeletes); every > 0 {
			perDay := float64(plan.Reconcile) * float64(24*time.Hour) / float64(every)
			fmt.Fprintf(w, "  Delete reconciliation %q: %s calls a run, %.1f a day on average (%s of the daily budget).\n",
				acct.ReconcileDeletes, num(plan.Reconcile), perDay, percent(perDay/float64(plan.DayBudget)))
		}
	}
	return nil
}

// count writes a record count, or "?" when it could not be counted.
func count(n int64) string {
	if n < 0 {
		return "?"
	}
	return num(n)
}

// scheduleInterval is the time between two runs of a cron schedule, 0 if
// it cannot be parsed.
func scheduleInterval(expr string) time.Duration {
	sched, err := jobs.ParseSchedule(expr)
	if err != nil {
		return 0
	}
	next := sched.Next(time.Now())
	return sched.Next(next).Sub(next)
}

// percent writes a share as a percentage, "<0.1%" when it rounds to none.
func percent(share float64) string {
	if share > 0 && share < 0.001 {
		return "<0.1%"
	}
	return fmt.Sprintf("%.1f%%", share*100)
}
