// Package migrations embeds keapsync's versioned SQL migrations for the keap
// and keapsync schemas.
package migrations
