// Package keaptest holds test helpers for code that uses package keap, the
// way River ships rivertest: a fake clock that sleeps without waiting, and
// a keap.Client wired to a keap/keapsim simulator over real HTTP.
//
//	sim := keapsim.New(t, keapsim.Options{Contacts: 500})
//	clock := keaptest.NewFakeClock(time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC))
//	client := keaptest.NewClient(t, sim, func(c *keap.Config) { c.Clock = clock })
//
// Sharing one FakeClock between the client (Config.Clock) and the
// simulator (keapsim.Options.Now) makes quota waits instant and exact: a
// wait the governor sleeps through advances the simulator's time too.
//
// Package keap's own internal tests (package keap) cannot import keaptest,
// which imports keap; they use the same clock, keap/internal/fakeclock.
// Helpers that have nothing to do with Keap live elsewhere:
// internal/syncbuf (a buffer shared by writers and a test) and
// internal/quickfuzz (a few seconds of fuzzing in the normal test run).
package keaptest
