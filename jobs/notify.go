package jobs

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/keapsync/keapsync/warehouse"
)

// The kinds of incident an operator is told of.
const (
	// IncidentRunFailed is a run that failed (a permanent error, withheld
	// deletes); a later run of the stream that succeeds resolves it.
	IncidentRunFailed = "run_failed"
	// IncidentJobDiscarded is a page job River discarded after its last
	// attempt (the run fails with it); resolved like a failed run.
	IncidentJobDiscarded = "job_discarded"
	// IncidentKeyRejected is Keap rejecting the account's API key; a run
	// of the account that succeeds resolves it.
	IncidentKeyRejected = "key_rejected"
	// IncidentStale is a stream whose last success is older than two of
	// its schedule's intervals; resolved once it is fresh again.
	IncidentStale = "stale"
)

// IncidentKinds are the kinds of incident, in a stable order.
var IncidentKinds = []string{IncidentRunFailed, IncidentJobDiscarded, IncidentKeyRejected, IncidentStale}

// The events of a notification.
const (
	EventOpened   = "opened"
	EventResolved = "resolved"
)

// The formats of a webhook's body.
const (
	// FormatJSON posts the incident as a JSON object (NotifyBody).
	FormatJSON = "json"
	// FormatSlack posts {"text": ...}, what Slack's incoming webhooks and
	// the chat tools compatible with them (Mattermost, Rocket.Chat,
	// Discord's /slack endpoint) take.
	FormatSlack = "slack"
)

// Notify configures where an account's incidents are posted.
type Notify struct {
	// WebhookURL receives a POST when an incident opens and when it
	// recovers. It is a secret (a Slack webhook's path is its token): it
	// is never logged, stored, put in a job's arguments or in an error.
	// Empty: no notifications.
	WebhookURL string
	// Format is FormatJSON (the default) or FormatSlack.
	Format string
}

// validate checks n, naming field in its error.
func (n Notify) validate(field string) error {
	if n.WebhookURL != "" {
		u, err := url.Parse(n.WebhookURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			// Never the URL itself: it holds the webhook's token.
			return &ConfigError{Field: field + ".WebhookURL", Reason: "want an http:// or https:// URL with a host"}
		}
	}
	switch n.Format {
	case "", FormatJSON, FormatSlack:
		return nil
	}
	return &ConfigError{Field: field + ".Format", Reason: fmt.Sprintf("%q: want %s or %s", n.Format, FormatJSON, FormatSlack)}
}

// KindNotify is the job kind of a notification.
const KindNotify = "keapsync_notify"

// notifyQueue holds the notifications (and the watch): a hyphen, so no
// account's queue (queueName) can take its name.
const notifyQueue = "keapsync-notify"

// notifyAttempts bounds a notification's attempts: with the pipeline's
// backoff (up to 10 minutes apart by default), about an hour and a half of
// a receiver being down.
const notifyAttempts = 14

// NotifyArgs posts one event of one incident to its account's webhook. It
// carries the incident's id only: the webhook's URL is in the process's
// configuration, never in River's job table.
type NotifyArgs struct {
	Incident int64  `json:"incident"`
	Event    string `json:"event"`
}

// Kind returns KindNotify.
func (NotifyArgs) Kind() string { return KindNotify }

// InsertOpts puts notifications in a queue of their own, unique by their
// arguments: one message per event of an incident.
func (NotifyArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: notifyQueue, MaxAttempts: notifyAttempts, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

var _ river.JobArgsWithInsertOpts = NotifyArgs{}

// NotifyBody is the JSON a FormatJSON webhook receives.
type NotifyBody struct {
	Source   string         `json:"source"` // "keapsync"
	Event    string         `json:"event"`  // opened or resolved
	Text     string         `json:"text"`   // one line for a human
	Incident NotifyIncident `json:"incident"`
}

// NotifyIncident is the incident of a NotifyBody.
type NotifyIncident struct {
	ID         int64      `json:"id"`
	Account    string     `json:"account"`
	Stream     string     `json:"stream,omitempty"`
	Kind       string     `json:"kind"`
	RunKind    string     `json:"run_kind,omitempty"`
	RunID      int64      `json:"run_id,omitempty"`
	Detail     string     `json:"detail"`
	OpenedAt   time.Time  `json:"opened_at"`
	ResolvedAt *time.Time `json:"resolved_at"`
}

// openIncident records an incident on tx and, when it is new and the
// account has a webhook, inserts its notification in the same
// transaction: it is sent if and only if the failure is recorded.
func (p *Pipeline) openIncident(ctx context.Context, tx pgx.Tx, a *account, in warehouse.Incident) error {
	in.Account = a.Name
	id, err := p.wh.OpenIncident(ctx, tx, in)
	if err != nil || id == 0 {
		return err
	}
	return p.enqueueNotify(ctx, tx, a, id, EventOpened)
}

// resolveIncidents resolves what a run of kind runKind of stream succeeding
// ends: the stream's failed runs of that kind, discarded jobs and
// staleness, and the account's rejected key.
func (p *Pipeline) resolveIncidents(ctx context.Context, tx pgx.Tx, a *account, stream string, runKind warehouse.RunKind) error {
	ids, err := p.wh.ResolveIncidents(ctx, tx, a.Name, stream,
		[]string{IncidentRunFailed, IncidentJobDiscarded}, []string{string(runKind)})
	if err != nil {
		return err
	}
	more, err := p.wh.ResolveIncidents(ctx, tx, a.Name, "", []string{IncidentKeyRejected}, []string{""})
	if err != nil {
		return err
	}
	ids = append(ids, more...)
	if runKind == warehouse.RunSync {
		if more, err = p.wh.ResolveIncidents(ctx, tx, a.Name, stream, []string{IncidentStale}, []string{""}); err != nil {
			return err
		}
		ids = append(ids, more...)
	}
	for _, id := range ids {
		if err := p.enqueueNotify(ctx, tx, a, id, EventResolved); err != nil {
			return err
		}
	}
	return nil
}

func (p *Pipeline) enqueueNotify(ctx context.Context, tx pgx.Tx, a *account, id int64, event string) error {
	if a.Notify.WebhookURL == "" {
		return nil
	}
	if _, err := p.river.InsertTx(ctx, tx, NotifyArgs{Incident: id, Event: event}, nil); err != nil {
		return fmt.Errorf("jobs: enqueue notification of incident %d: %w", id, err)
	}
	return nil
}

// notifyWorker posts notifications.
type notifyWorker struct {
	river.WorkerDefaults[NotifyArgs]
	p      *Pipeline
	client *http.Client
}

// Timeout bounds one post.
func (w *notifyWorker) Timeout(*river.Job[NotifyArgs]) time.Duration { return 15 * time.Second }

// Work posts the notification. A receiver's 5xx, 429 or a network error
// is retried with backoff; another 4xx will not heal and cancels the job.
func (w *notifyWorker) Work(ctx context.Context, job *river.Job[NotifyArgs]) error {
	p := w.p
	in, err := p.wh.GetIncident(ctx, p.cfg.Pool, job.Args.Incident)
	if errors.Is(err, warehouse.ErrNoIncident) {
		return river.JobCancel(err)
	}
	if err != nil {
		return err
	}
	a := p.accounts[in.Account]
	if a == nil || a.Notify.WebhookURL == "" {
		// Configured elsewhere, not here: leave it to a process that has
		// the webhook (or to nobody, once it was removed).
		return river.JobCancel(fmt.Errorf("notify: account %q has no webhook in this process's configuration", in.Account))
	}
	body, err := notifyBody(in, job.Args.Event, a.Notify.Format)
	if err != nil {
		return river.JobCancel(err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.Notify.WebhookURL, bytes.NewReader(body))
	if err != nil {
		return river.JobCancel(fmt.Errorf("notify: webhook of account %s: invalid URL", in.Account))
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "keapsync")
	resp, err := w.client.Do(req)
	if err != nil {
		// A *url.Error names the URL, which holds the webhook's token:
		// keep only what went wrong.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Errorf("notify: webhook of account %s: %w", in.Account, err)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return nil
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500 || resp.StatusCode == http.StatusRequestTimeout:
		return fmt.Errorf("notify: webhook of account %s answered %s", in.Account, resp.Status)
	}
	return river.JobCancel(fmt.Errorf("notify: webhook of account %s answered %s; check its URL", in.Account, resp.Status))
}

// noRedirects keeps a webhook's post where it was configured.
func noRedirects(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// notifyBody renders event of in in format.
func notifyBody(in warehouse.Incident, event, format string) ([]byte, error) {
	text := notifyText(in, event)
	if format == FormatSlack {
		return json.Marshal(struct {
			Text string `json:"text"`
		}{text})
	}
	b := NotifyBody{Source: "keapsync", Event: event, Text: text, Incident: NotifyIncident{
		ID: in.ID, Account: in.Account, Stream: in.Stream, Kind: in.Kind, RunKind: in.RunKind, RunID: in.RunID,
		Detail: in.Detail, OpenedAt: in.OpenedAt, ResolvedAt: timePtr(in.ResolvedAt),
	}}
	return json.Marshal(b)
}

// notifyText is the one-line message of event of in.
func notifyText(in warehouse.Incident, event string) string {
	where := in.Account
	if in.Stream != "" {
		where += "/" + in.Stream
	}
	what := map[string]string{
		IncidentRunFailed:    "a " + in.RunKind + " run failed",
		IncidentJobDiscarded: "a page job was discarded after its last attempt",
		IncidentKeyRejected:  "Keap rejected the API key",
		IncidentStale:        "the stream is stale past its schedule",
	}[in.Kind]
	if what == "" {
		what = in.Kind
	}
	if event == EventResolved {
		return fmt.Sprintf("keapsync %s: recovered (%s, since %s)", where, what, in.OpenedAt.Format(time.RFC3339))
	}
	if in.Detail != "" {
		return fmt.Sprintf("keapsync %s: %s: %s", where, what, in.Detail)
	}
	return fmt.Sprintf("keapsync %s: %s", where, what)
}
