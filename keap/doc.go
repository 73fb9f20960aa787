// Package keap is keapsync's client for Keap's REST API (formerly
// Infusionsoft): every call keapsync makes to Keap goes through it.
//
// The client is built around one scarce resource, Keap's API quota (by
// default 5 calls a second, 120 a minute and 15,000 a day). A quota governor
// shared by every goroutine spaces calls evenly, keeps a rolling per-minute
// window and a daily budget, reconciles them with the x-keap-* headers of
// every response (those no account could mean are ignored), and refuses a
// call it knows would be rejected without touching the network, returning a
// typed error that carries the time the call becomes possible. The counts
// live behind QuotaStore, on the store's one clock, so they can be shared
// through Postgres by every process on every machine. Just before a
// request's first byte is written, its lateness after its slot is checked
// on the connection: a call later than the margins cover never leaves, and
// takes a new slot instead (see governor.go for the bound).
//
// Streams is the catalogue of what keapsync copies and how each stream is
// read most cheaply; Client.ListPage reads one page of a stream and returns
// its records byte-exact, with their ids and update times, the cursor of the
// next page and the latest quota reading.
//
// # Listing for a pipeline
//
// A PageRequest can do more than page through a stream:
//
//   - Ranges: on IDRange streams AfterID and BeforeID bound the ids
//     (exclusive), so one scan splits into ranges read in parallel.
//     Descending orders a keyset scan by id descending; with PageSize 1
//     and BeforeID it finds the greatest id of a range in one call, and a
//     descending scan resumes with BeforeID set to the last id seen.
//   - Reconciliation: IDsOnly asks for the smallest records that still
//     carry their ids (fields=id where fields is a projection), for
//     finding deleted records by diffing ids.
//   - Priority: Background marks a backfill. It may spend only
//     Quota.BackgroundShare of the day's budget (default 0.9, of whichever
//     daily limit holds); the rest stays with the small incremental syncs.
//     Once its share is spent it gets a day *QuotaError until the reset.
//
// A request a stream cannot serve is a *RequestError, without a network
// call. Client.Count sizes a stream (or its updates in a window) with one
// v1 call, reading the count field of the stream's CountPath.
//
// Config.ObserveFunc sees every HTTP attempt, and every call the governor
// refused without one, as a Call: the figures metrics need, never the key.
//
// # Errors
//
// Every error of a call is wrapped with its operation ("keap: list
// contacts: ...") and typed, so a River job decides with errors.As rather
// than message text:
//
//   - QuotaRetryAt(err) reports a *QuotaError: the quota (day, minute,
//     second or tenant) is spent until RetryAt. Snooze until then. It is
//     returned without a network call whenever the governor knows, and after
//     Keap's 429s once the retries are spent.
//   - IsPermanent(err) is true for a rejected key (*AuthError, 401/403; also
//     IsAuth), another 4xx (*ErrorResponse), an unusable body (*BodyError:
//     HTML, invalid JSON, too large, a record without an id), an invalid
//     request or config. Cancel the job; retrying cannot help.
//   - Anything else (5xx after the client's own retries, timeouts,
//     connection errors, a quota store failure) is transient: return it and
//     let River retry.
//
// The API key never appears in an error, a log line, or the fmt, JSON or
// slog form of a Config: APIKey redacts itself, and anything Keap echoes
// back is scrubbed.
//
// This package knows nothing of Postgres, River or the warehouse.
package keap
