package keaptest

import (
	"time"

	"github.com/keapsync/keapsync/keap"
	"github.com/keapsync/keapsync/keap/internal/fakeclock"
)

// FakeClock is a keap.Clock whose Sleep advances its time at once instead
// of waiting, so quota behaviour is tested without sleeping. It is safe for
// concurrent use. Its Now method also fits keapsim.Options.Now. (Package
// keap's own tests use the same clock.)
type FakeClock = fakeclock.Clock

var _ keap.Clock = (*FakeClock)(nil)

// NewFakeClock returns a FakeClock showing start.
func NewFakeClock(start time.Time) *FakeClock { return fakeclock.New(start) }
