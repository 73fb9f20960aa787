package jobs_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/keapsync/keapsync/jobs"
	"github.com/keapsync/keapsync/keap"
)

// TestStart_ADifferentConfigurationOfAnAccountIsRefused starts a second
// process on the database of a running one, with the same account
// configured differently: it used to start and interfere (schedules from
// whichever led, a stale key cancelling the account's runs everywhere, a
// different River schema cancelling the other's runs). It is refused,
// naming the difference; the same configuration starts, and once the
// first process stops, so does the different one.
func TestStart_ADifferentConfigurationOfAnAccountIsRefused(t *testing.T) {
	t.Parallel()
	e := setup(t, []testAccount{unthrottled("acme", 20)}, nil)
	e.start()
	ctx := context.Background()
	other := func(mod func(*jobs.Config)) (*jobs.Pipeline, error) {
		t.Helper()
		cfg := e.cfg
		cfg.Accounts = append([]jobs.Account(nil), e.cfg.Accounts...)
		mod(&cfg)
		p, err := jobs.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		return p, p.Start(ctx)
	}
	for _, tc := range []struct {
		name, want string
		mod        func(*jobs.Config)
	}{
		{"other streams", "streams [contact_custom_fields, contacts] here", func(c *jobs.Config) { c.Accounts[0].Streams = []string{"contacts"} }},
		{"another key", "a different API key", func(c *jobs.Config) { c.Accounts[0].Keap.Credential = keap.NewAPIKey("some-other-key-entirely") }},
		{"another River schema", `river_schema "other_river" here`, func(c *jobs.Config) { c.RiverSchema = "other_river" }},
		{"another schedule", `schedule "@every 1h" here`, func(c *jobs.Config) { c.Accounts[0].Schedule = "@every 1h" }},
	} {
		_, err := other(tc.mod)
		if !errors.Is(err, jobs.ErrConfigConflict) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: Start = %v, want a conflict naming %q", tc.name, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), e.apiKey("acme")) {
			t.Errorf("%s: the error shows the API key", tc.name)
		}
	}
	same, err := other(func(*jobs.Config) {})
	if err != nil {
		t.Fatalf("the same configuration: %v", err)
	}
	stopCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := same.Stop(stopCtx); err != nil {
		t.Fatal(err)
	}
	if err := e.p.Stop(stopCtx); err != nil {
		t.Fatal(err)
	}
	p, err := other(func(c *jobs.Config) { c.Accounts[0].Streams = []string{"contacts"} })
	if err != nil {
		t.Fatalf("once the others stopped, a different configuration starts: %v", err)
	}
	if err := p.Stop(stopCtx); err != nil {
		t.Fatal(err)
	}
}
