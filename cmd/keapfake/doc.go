// Command keapfake serves keapsync's Keap API simulator over HTTP so that
// the worker, the demo and end-to-end benchmarks can run without touching
// the real Keap.
//
//	keapfake --addr 127.0.0.1:8089 --contacts 100000 --per-day 15000 --mutations-per-second 2
//
// The first line on stdout is the base URL (ending in /crm/rest) to put in
// keapsync's configuration. The control API (stats, mutations, truth,
// faults) lives under /_sim/ on the same address; see package keapsim.
// SIGINT and SIGTERM stop it after the requests in flight finish.
package main
