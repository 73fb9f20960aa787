package keap_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/keapsync/keapsync/keap"
	"github.com/keapsync/keapsync/keap/keapsim"
	"github.com/keapsync/keapsync/keap/keaptest"
)

// simStart is the fake time simulators and clients of these tests share.
var simStart = time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC)

// simEnv is a simulator and a client sharing one fake clock, so quota
// waits take no real time and the simulator sees them pass.
type simEnv struct {
	sim    *keapsim.Server
	client *keap.Client
	clock  *keaptest.FakeClock
}

func newSimEnv(t *testing.T, opts keapsim.Options, mod func(*keap.Config)) *simEnv {
	t.Helper()
	clock := keaptest.NewFakeClock(simStart)
	if opts.Contacts == 0 {
		opts.Contacts = 300
	}
	opts.Now = clock.Now
	sim := keapsim.New(t, opts)
	client := keaptest.NewClient(t, sim, func(c *keap.Config) {
		c.Clock = clock
		if mod != nil {
			mod(c)
		}
	})
	return &simEnv{sim: sim, client: client, clock: clock}
}

// unlimited turns every quota off on both sides: for tests about reading.
func unlimited(t *testing.T, contacts int) *simEnv {
	t.Helper()
	return newSimEnv(t, keapsim.Options{Contacts: contacts, PerSecond: -1, PerMinute: -1, PerDay: -1},
		func(c *keap.Config) { c.Quota.PerSecond, c.Quota.PerMinute, c.Quota.PerDay = -1, -1, -1 })
}

// ids returns the records' ids as numbers, in order.
func ids(t *testing.T, recs []keap.Record) []int64 {
	t.Helper()
	out := make([]int64, len(recs))
	for i, r := range recs {
		out[i] = r.ID
	}
	return out
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
