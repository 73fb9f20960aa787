// Package fakeclock is the one fake clock of keapsync's tests: a clock whose
// Sleep advances its time at once. It imports nothing of keapsync, so both
// package keap's own tests and keaptest (for every other package's tests) use
// it.
package fakeclock

import (
	"context"
	"slices"
	"sync"
	"time"
)

// Clock is a keap.Clock whose Sleep advances its time at once instead
// of waiting, so quota behaviour is tested without sleeping. It is safe for
// concurrent use. Its Now method also fits keapsim.Options.Now.
type Clock struct {
	mu    sync.Mutex
	now   time.Time
	slept []time.Duration
}

// New returns a Clock showing start.
func New(start time.Time) *Clock {
	return &Clock{now: start}
}

// Now returns the clock's current time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Sleep records d and advances the clock by d (if positive) at once. It
// returns ctx.Err() without advancing when ctx is already done, as a real
// sleep would.
func (c *Clock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if d > 0 {
		c.now = c.now.Add(d)
	}
	c.slept = append(c.slept, d)
	return nil
}

// Advance moves the clock forward by d (backward if d is negative) without
// recording a sleep: time passing outside the code under test.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// Slept returns a copy of every duration passed to Sleep, in order.
func (c *Clock) Slept() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.slept)
}
