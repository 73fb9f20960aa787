// Package keap is keapsync's client for Keap's REST API (formerly
// Infusionsoft): every call keapsync makes to Keap goes through it.
//
// The client is built around one scarce resource, Keap's API quota (by
// default 5 calls a second, 120 a minute and 15,000 a day). A quota governor
// shared by every goroutine spaces calls evenly, keeps a rolling per-minute
// window and a daily budget, reconciles them with the x-keap-* headers of
// every response, and refuses a call it knows would be rejected without
// touching the network, returning a typed error that carries the time the
// call becomes possible. The counts live behind QuotaStore, so they can be
// shared through Postgres by every process.
//
// Streams is the catalogue of what keapsync copies and how each stream is
// read most cheaply.
//
// This package knows nothing of Postgres, River or the warehouse.
package keap
