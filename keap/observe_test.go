package keap_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/keapsync/keapsync/keap"
	"github.com/keapsync/keapsync/keap/keapsim"
	"github.com/keapsync/keapsync/keap/keaptest"
)

// callLog collects observed calls.
type callLog struct {
	mu    sync.Mutex
	calls []keap.Call
}

func (l *callLog) observe(c keap.Call) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.calls = append(l.calls, c)
}

func (l *callLog) all() []keap.Call {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]keap.Call(nil), l.calls...)
}

func TestClient_ObserveFuncSeesRetriedAttempts(t *testing.T) {
	t.Parallel()
	var log callLog
	env := newSimEnv(t, keapsim.Options{Faults: []keapsim.Fault{{Kind: keapsim.Fault502, Request: 1}}},
		func(c *keap.Config) { c.ObserveFunc = log.observe })
	if _, err := env.client.ListPage(context.Background(), keap.MustStream(t, "contacts"), keap.PageRequest{PageSize: 5}); err != nil {
		t.Fatal(err)
	}
	calls := log.all()
	if len(calls) != 2 {
		t.Fatalf("%d calls observed, want the 502 and its retry: %+v", len(calls), calls)
	}
	failed, ok := calls[0], calls[1]
	var er *keap.ErrorResponse
	if failed.Status != 502 || failed.Attempt != 1 || !errors.As(failed.Err, &er) || failed.Refused || failed.Quota.DayUsed != 1 {
		t.Fatalf("first attempt %+v", failed)
	}
	if ok.Status != 200 || ok.Attempt != 2 || ok.Err != nil || ok.Quota.DayUsed != 2 || ok.Duration <= 0 || ok.RateLimit != "" {
		t.Fatalf("retry %+v", ok)
	}
	for _, c := range calls {
		if c.Path != "/v2/contacts" || c.Stream != "contacts" {
			t.Fatalf("call at %q of %q", c.Path, c.Stream)
		}
	}
}

// A 429 is observed with its cause; the governor then refuses the retry
// and later calls without a request, and those refusals are observed too.
func TestClient_ObserveFuncSees429sAndRefusals(t *testing.T) {
	t.Parallel()
	var log callLog
	env := newSimEnv(t, keapsim.Options{PerDay: 1}, func(c *keap.Config) { c.ObserveFunc = log.observe })
	// Another integration on the key spends the simulator's day.
	other := keaptest.NewClient(t, env.sim, func(c *keap.Config) { c.Account, c.Clock = "other", env.clock })
	model := keap.MustStream(t, "contact_custom_fields")
	ctx := context.Background()
	if _, err := other.ListPage(ctx, model, keap.PageRequest{}); err != nil {
		t.Fatal(err)
	}
	env.clock.Advance(time.Second)
	for range 2 {
		if _, err := env.client.ListPage(ctx, model, keap.PageRequest{}); err == nil {
			t.Fatal("the day is spent: want a quota error")
		}
	}
	calls := log.all()
	if len(calls) != 3 {
		t.Fatalf("%d calls observed, want the 429 and two refusals: %+v", len(calls), calls)
	}
	var rle *keap.RateLimitError
	if c := calls[0]; c.Status != 429 || c.RateLimit != keap.CauseDay || !errors.As(c.Err, &rle) || c.Refused || c.Attempt != 1 {
		t.Fatalf("429 observed as %+v", c)
	}
	// Midnight, and the default DayResetMargin.
	reset := time.Date(2026, 3, 5, 0, 0, 2, 0, time.UTC)
	for i, c := range calls[1:] {
		var qe *keap.QuotaError
		if !c.Refused || c.Status != 0 || !errors.As(c.Err, &qe) || qe.Window != keap.WindowDay || !qe.RetryAt.Equal(reset) {
			t.Fatalf("refusal %d observed as %+v", i, c)
		}
		if c.Attempt != 2-i || c.Duration != 0 || c.Quota.DayUsed != -1 {
			t.Fatalf("refusal %d: attempt %d, duration %v, quota %+v", i, c.Attempt, c.Duration, c.Quota)
		}
	}
	if n := env.sim.Stats().Requests; n != 2 {
		t.Fatalf("%d requests reached the simulator, want 2", n)
	}
}
