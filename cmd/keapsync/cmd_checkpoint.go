package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"
)

func (a *app) checkpointCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "checkpoint",
		Short: "Fix where a stream's next sync starts",
		Long: `A stream's checkpoint is its high-water mark: the next incremental sync reads
what changed since it (less worker.overlap). It only moves forward by itself.
checkpoint reset moves it back, or forgets it.`,
		Args: cobra.NoArgs,
	}
	cmd.AddCommand(a.checkpointResetCommand())
	return cmd
}

func (a *app) checkpointResetCommand() *cobra.Command {
	var (
		account, stream, to string
	)
	cmd := &cobra.Command{
		Use:   "reset --account A --stream S [--to T]",
		Short: "Move a stream's high-water mark back to T, or forget it",
		Long: `Without --to, forget the stream's checkpoint: its next sync reads it whole (a
background run, as a first sync is). With --to (RFC 3339, such as
2026-11-01T00:00:00Z, or a date), put the high-water mark at that time: the next
sync reads what changed since then. Use it when the mark is wrong (a clock, a
bug) and rows changed before it are missing. Refused while a sync of the stream
runs.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if account == "" || stream == "" {
				return usagef("checkpoint reset needs --account and --stream")
			}
			at, err := parseTimeFlag("--to", to)
			if err != nil {
				return err
			}
			if at.After(time.Now()) {
				return usagef("--to %s is in the future: the next sync would skip every change until then", at.Format(time.RFC3339))
			}
			ctx := cmd.Context()
			s, err := a.openSession(ctx, "checkpoint", account, pipelineOptions{streams: []string{stream}})
			if err != nil {
				return err
			}
			defer s.close()
			cp, found, err := s.p.ResetCheckpoint(ctx, account, stream, at)
			if err != nil {
				return err
			}
			if !found {
				fmt.Fprintf(a.stdout, "Checkpoint of %s/%s forgotten: its next sync reads it whole.\n", account, stream)
				return nil
			}
			fmt.Fprintf(a.stdout, "Checkpoint of %s/%s set to %s: its next sync reads what changed since then.\n",
				account, stream, cp.HighWaterTime.UTC().Format(time.RFC3339))
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&account, "account", "", "the account")
	f.StringVar(&stream, "stream", "", "the stream")
	f.StringVar(&to, "to", "", "the new high-water mark (default: none, the next sync reads the stream whole)")
	return cmd
}

// parseTimeFlag reads flag's value, an RFC 3339 time or a date (midnight
// UTC); "" is the zero time. A bad value is a usage error naming the flag.
func parseTimeFlag(flag, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	return time.Time{}, usagef("%s %q: want an RFC 3339 time (2026-11-01T00:00:00Z) or a date (2026-11-01)", flag, s)
}
