package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

func (a *app) pauseCommand() *cobra.Command { return a.pauseResumeCommand(true) }

func (a *app) resumeCommand() *cobra.Command { return a.pauseResumeCommand(false) }

// pauseResumeCommand is keapsync pause, or keapsync resume.
func (a *app) pauseResumeCommand(pause bool) *cobra.Command {
	var account, stream string
	use, short, long := "resume", "Let paused accounts or streams start pages again",
		`Resume lifts keapsync pause (of every account, without --account): the held
page jobs start again within 15 seconds. Resuming an account lifts the pauses
of its streams too.`
	if pause {
		use, short, long = "pause", "Hold accounts or streams: no new page starts until resume",
			`Pause holds every account (or --account A, or one of its streams with
--stream S): no new page starts, and no call is made for it; pages already
running finish, and the runs continue where they stopped after keapsync resume.
Scheduled runs still start, and wait. status, /metrics and River UI (the
account's queue) show it paused.`
	}
	cmd := &cobra.Command{
		Use:   use + " [--account A [--stream S]]",
		Short: short,
		Long:  long,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if stream != "" && account == "" {
				return usagef("--stream needs --account")
			}
			var streams []string
			if stream != "" {
				streams = []string{stream}
			}
			ctx := cmd.Context()
			s, err := a.openSession(ctx, use, account, pipelineOptions{streams: streams})
			if err != nil {
				return err
			}
			defer s.close()
			if pause {
				err = s.p.Pause(ctx, account, stream)
			} else {
				err = s.p.Resume(ctx, account, stream)
			}
			if err != nil {
				return err
			}
			what := "every account"
			switch {
			case stream != "":
				what = account + "/" + stream
			case account != "":
				what = "account " + account
			}
			if pause {
				fmt.Fprintf(a.stdout, "Paused %s: no new page starts until keapsync resume.\n", what)
			} else {
				fmt.Fprintf(a.stdout, "Resumed %s.\n", what)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&account, "account", "", "only this account (default: every account)")
	f.StringVar(&stream, "stream", "", "only this stream of the account")
	return cmd
}
