//go:build keapsync_testclock

package main

import (
	"fmt"
	"os"
	"time"
)

// A binary built with -tags keapsync_testclock runs with its clock offset
// by KEAPSYNC_TEST_CLOCK_OFFSET (a duration such as 700ms or -400ms): the
// measurement of processes on machines whose clocks disagree. Release
// builds have no such thing.
func init() {
	v := os.Getenv("KEAPSYNC_TEST_CLOCK_OFFSET")
	if v == "" {
		return
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		fmt.Fprintf(os.Stderr, "KEAPSYNC_TEST_CLOCK_OFFSET=%q: %v\n", v, err)
		os.Exit(2)
	}
	processNow = func() time.Time { return time.Now().Add(d) }
}
