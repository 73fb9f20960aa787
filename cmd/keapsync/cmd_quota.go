package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

func (a *app) quotaCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "quota",
		Short: "Manage the shared quota ledger",
		Long: `The quota ledger keeps, in the database, every account's calls and what Keap's
response headers said of its limits today, for every keapsync process to share.
quota reset makes it forget what Keap said.`,
		Args: cobra.NoArgs,
	}
	cmd.AddCommand(a.quotaResetCommand())
	return cmd
}

func (a *app) quotaResetCommand() *cobra.Command {
	var account string
	cmd := &cobra.Command{
		Use:   "reset [--account A]",
		Short: "Forget the limits, reset time and day's count Keap reported",
		Long: `Forget what Keap's headers told the ledger about an account (every account
without --account): its limits, its daily reset time and the day's count. The
slots of calls already made stay, so spacing and the rolling minute still hold.
Use it when a reading should not have been believed (a proxy rewrote the
headers, say): the next response brings Keap's word again. Processes that are
running forget their own short 429 pauses only when they restart.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			s, err := a.openSession(ctx, "quota", account, pipelineOptions{})
			if err != nil {
				return err
			}
			defer s.close()
			if err := s.p.ForgetQuota(ctx, account); err != nil {
				return err
			}
			who := "every account"
			if account != "" {
				who = "account " + account
			}
			fmt.Fprintf(a.stdout, "The quota ledger forgot what Keap reported for %s.\n", who)
			return nil
		},
	}
	cmd.Flags().StringVar(&account, "account", "", "only this account")
	return cmd
}
