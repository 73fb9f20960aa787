// Package keapsim is a faithful simulator of Keap's REST API (formerly
// Infusionsoft) for tests, the demo and benchmarks, shipped as a test helper
// the way River ships rivertest. Nothing in keapsync talks to the real Keap:
// every test starts a simulator with New and points the client at URL.
//
// It is built from Keap's official OpenAPI specs and recorded behaviour, not
// from keapsync's client (it does not import package keap), so it catches
// the client's mistakes:
//
//   - Every endpoint of the stream catalogue and the custom-field model
//     endpoints, with Keap's paths, parameters, envelopes, record schemas and
//     formats (v1 integer ids and "2024-11-20T18:34:12.000+0000" timestamps;
//     v2 string ids, "...Z" timestamps and optional properties only when
//     asked in fields), real filters, ordering and page-size caps, and
//     Keap's error shapes (v2 error bodies, HTML 404 and 400 pages).
//   - Keap's quotas: spike arrest, a rolling per-minute throttle, a tenant
//     throttle and a daily quota, with every x-keap-* header on every
//     response and 429s in either observed body shape.
//   - A deterministic synthetic tenant from a seed. Each record's content is
//     derived on demand from (seed, stream, id, version); only 32 bytes per
//     record are stored, so a million contacts fit in well under 1 GiB.
//   - Change over time (Create, Update, Delete), a Truth snapshot to compare
//     a warehouse against, and faults on demand.
//
// cmd/keapfake serves the same simulator as a binary.
package keapsim
