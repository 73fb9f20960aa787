package main

import (
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/spf13/cobra"

	"github.com/keapsync/keapsync/jobs"
)

func (a *app) statusCommand() *cobra.Command {
	var (
		asJSON  bool
		account string
	)
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show each stream's state, the quota left today and River's jobs",
		Long: `Status shows, per account and stream: the state of the latest sync run
(never, running, paused_quota, succeeded, failed), the last success, the
rows in the warehouse, the checkpoint, when a paused run resumes and the
last error; then the account's quota used and left today and when it
resets; then keapsync's River jobs by state. It reads the database only:
no Keap call. --json prints the same as stable JSON (see the README).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			s, err := a.openSession(ctx, "status", account, pipelineOptions{})
			if err != nil {
				return err
			}
			defer s.close()
			st, err := s.p.Status(ctx, account)
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(a.stdout, st)
			}
			return printStatus(a.stdout, st)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.Flags().StringVar(&account, "account", "", "only this account")
	return cmd
}

func printStatus(w io.Writer, st jobs.Status) error {
	now := st.GeneratedAt
	for i, as := range st.Accounts {
		if i > 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprintf(w, "Account %s: %s\n", as.Account, quotaLine(as.Quota, now))
		fmt.Fprintf(w, "  %d work process(es) up\n", as.Workers)
		for _, in := range as.Incidents {
			where := ""
			if in.Stream != "" {
				where = " " + in.Stream
			}
			fmt.Fprintf(w, "  INCIDENT %s%s since %s: %s\n", in.Kind, where, clock(&in.OpenedAt), truncate(in.Detail, 100))
		}
		t := newTable(w)
		fmt.Fprintln(t, "  STREAM\tSTATE\tLAST SUCCESS\tROWS\tCHECKPOINT\tPAUSED UNTIL\tLAST ERROR")
		for _, ss := range as.Streams {
			last := clock(ss.LastSuccessAt)
			if ss.LastSuccessAt != nil {
				last += " (" + ago(ss.LastSuccessAt, now) + ")"
			}
			paused := clock(ss.PausedUntil)
			if ss.PausedUntil != nil {
				paused += " (" + ago(ss.PausedUntil, now) + ")"
			}
			if ss.Stale {
				last += " STALE"
			}
			fmt.Fprintf(t, "  %s\t%s\t%s\t%s\t%s\t%s\t%s\n", ss.Stream, ss.State, last, num(ss.Rows), clock(ss.Checkpoint),
				paused, dash(truncate(ss.LastError, 60)))
		}
		if err := t.Flush(); err != nil {
			return err
		}
	}
	fmt.Fprintf(w, "\nJobs: %s\n", jobCounts(st.Jobs))
	return nil
}

// quotaLine describes an account's quota today.
func quotaLine(q jobs.QuotaStatus, now time.Time) string {
	s := "quota today: no daily limit"
	if q.DayLimit >= 0 {
		s = fmt.Sprintf("quota today: %s of %s calls used, %s left", num(q.DayUsed), num(q.DayLimit), num(q.DayLeft))
	}
	if q.ResetAt != nil {
		s += fmt.Sprintf(", resets %s (%s)", clock(q.ResetAt), ago(q.ResetAt, now))
	}
	if q.MinuteLimit >= 0 {
		s += fmt.Sprintf("; this minute %s of %s", num(q.MinuteUsed), num(q.MinuteLimit))
	}
	return s
}

// jobCounts lists job counts in River's state order.
func jobCounts(counts map[string]int64) string {
	if len(counts) == 0 {
		return "none"
	}
	s := ""
	for _, state := range jobs.JobStates {
		if n, ok := counts[state]; ok {
			if s != "" {
				s += ", "
			}
			s += fmt.Sprintf("%s %s", num(n), state)
		}
	}
	for state, n := range counts { // states newer than this binary
		if !slices.Contains(jobs.JobStates, state) {
			s += fmt.Sprintf(", %s %s", num(n), state)
		}
	}
	return s
}
