package main

import "time"

// processNow is the process's clock: time.Now, unless a build for testing
// offsets it (clock_testbuild.go) to play a machine whose clock is off.
var processNow = time.Now
