package keaptest

import (
	"bytes"
	"log/slog"
	"sync"
	"testing"

	"github.com/keapsync/keapsync/keap"
	"github.com/keapsync/keapsync/keap/keapsim"
)

// Account is the account name NewClient and Config give a client, unless
// changed: the key of its quota in the QuotaStore.
const Account = "sim"

// Config returns a keap.Config for the simulator: its URL and first API
// key, Account "sim", and every other field at its default (a fresh
// in-memory quota store, the system clock, a discarding logger).
func Config(sim *keapsim.Server) keap.Config {
	return keap.Config{
		BaseURL:    sim.URL(),
		Account:    Account,
		Credential: keap.NewAPIKey(sim.APIKey()),
	}
}

// NewClient returns a client talking to the simulator over real HTTP,
// configured by Config(sim) and then mod (when not nil). Unless mod sets a
// Logger, the client logs at Info level and above (retries, rate limits)
// to tb, and stops logging once tb's test has ended, so a goroutine still
// holding the client cannot fail the test run. It fails tb if the
// configuration is invalid.
func NewClient(tb testing.TB, sim *keapsim.Server, mod func(*keap.Config)) *keap.Client {
	tb.Helper()
	cfg := Config(sim)
	cfg.Logger = slog.New(slog.NewTextHandler(newTBWriter(tb), &slog.HandlerOptions{Level: slog.LevelInfo}))
	if mod != nil {
		mod(&cfg)
	}
	c, err := keap.New(cfg)
	if err != nil {
		tb.Fatalf("keaptest: new client: %v", err)
	}
	return c
}

// tbWriter writes log lines to tb.Log until tb's test and its cleanups
// end; later writes are dropped, since tb.Log would panic.
type tbWriter struct {
	tb   testing.TB
	mu   sync.Mutex
	done bool
}

func newTBWriter(tb testing.TB) *tbWriter {
	w := &tbWriter{tb: tb}
	// Cleanups run last-in first-out: registered now, before anything the
	// caller registers later, this one runs after them, so their logs
	// still reach tb.
	tb.Cleanup(func() {
		w.mu.Lock()
		w.done = true
		w.mu.Unlock()
	})
	return w
}

func (w *tbWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.done {
		w.tb.Log(string(bytes.TrimSuffix(p, []byte("\n"))))
	}
	return len(p), nil
}
