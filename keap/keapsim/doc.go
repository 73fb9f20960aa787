// Package keapsim is a faithful simulator of Keap's REST API (formerly
// Infusionsoft) for tests, the demo and benchmarks, shipped as a test helper
// the way River ships rivertest. Nothing in keapsync talks to the real Keap:
// every test starts a simulator with New and points the client at URL.
//
//	sim := keapsim.New(t, keapsim.Options{Contacts: 5000})
//	client := newClient(sim.URL(), sim.APIKey())
//	... sync ...
//	if st := sim.Stats(); st.Rejected != 0 { t.Fatalf("429s: %+v", st) }
//	compare(t, warehouse, sim.Truth())
//
// It is built from Keap's official OpenAPI specs and recorded behaviour, not
// from keapsync's client (it does not import package keap), so it catches
// the client's mistakes:
//
//   - Every endpoint of the stream catalogue, the v1 list of every stream
//     v1 lists (what keap.Client.Count reads: count is the total number of
//     matches), and the custom-field model endpoints (Endpoints lists
//     them), with Keap's paths, parameters, envelopes, record schemas and
//     formats: v1 integer ids, "2024-11-20T18:34:12.000+0000" timestamps,
//     last_updated_utc_millis, count/next/previous always present (next
//     even past the end, keeping only limit, offset, since and order); v2
//     string ids, "...Z" timestamps, next_page_token "" at the end,
//     optional properties only when asked in fields (fields=id gives bare
//     ids where fields is a projection: contacts, companies). Filters (id
//     comparisons with every operator the spec lists, time bounds) and
//     ordering (id desc included) are applied for real; invalid ones get
//     the v2 error body. Unknown paths get Keap's HTML "Page Not Found"
//     and a GET with a body an HTML 400.
//   - Keap's quotas: spike arrest (a request closer than 0.9*Second/PerSecond
//     to the previous accepted one is rejected), a rolling per-minute
//     throttle over (now-Minute, now], a tenant throttle and a daily quota
//     resetting at UTC midnight (or every DayLength), all counting accepted
//     requests only, shared by every API key of the tenant. Every response
//     carries every x-keap-* header; 429s come in either observed body shape.
//   - A deterministic synthetic tenant from a seed: contacts, companies,
//     tags and categories, tag applications (contacts' tag_ids), users,
//     products, opportunities, orders with items, subscriptions, payments,
//     transactions, notes, tasks, campaigns and custom fields, with unicode
//     names, missing optional fields, nulls and long text. Each record's
//     content is derived on demand from (seed, stream, id, version); only 32
//     bytes per record are stored, so 1,000,000 contacts and every stream
//     scaled with them hold about 90 MiB.
//   - Change over time: Create, Update, Delete and Churn (also under /_sim/
//     over HTTP), and Truth, the live records as the API returns them.
//   - Faults on demand (Fault): 500/502/503, HTML error pages, slow
//     responses, connection resets, truncated JSON, wrong content types,
//     by probability or at a given request number.
//
// Times are kept to the millisecond (v1's last_updated_utc_millis shows
// them) and rendered to the second, as Keap renders them; time filters
// compare the full value, both bounds inclusive. Creation order is id
// order. Several records often share an update time: bulk imports, batch
// updates and mutations within the same second.
//
// The control API under /_sim/ (stats, mutations, truth, faults) needs no
// API key and is not counted. cmd/keapfake serves the same simulator as a
// binary.
package keapsim
