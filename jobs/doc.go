// Package jobs holds keapsync's River jobs: the one place where the Keap
// client and the warehouse meet. It translates Keap records into warehouse
// rows and maps errors to River outcomes.
package jobs
