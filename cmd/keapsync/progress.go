package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"github.com/keapsync/keapsync/jobs"
	"github.com/keapsync/keapsync/warehouse"
)

// plainEvery is how often, at most, a plain (not terminal) progress line
// repeats for a run whose state has not changed but whose pages have.
const plainEvery = 5 * time.Second

// accountQuota is an account's daily quota as the shared ledger counts it.
type accountQuota struct {
	Limit, Used, Left int64 // Limit -1: no daily limit
	ResetAt           time.Time
}

// readQuota reads account's daily quota from the ledger (jobs.Pipeline.Quota:
// one query, without Status's per-table row counts).
func readQuota(ctx context.Context, p *jobs.Pipeline, account string) (accountQuota, error) {
	q, err := p.Quota(ctx, account)
	if err != nil {
		return accountQuota{}, err
	}
	aq := accountQuota{Limit: q.DayLimit, Used: q.DayUsed, Left: q.DayLeft}
	if q.ResetAt != nil {
		aq.ResetAt = *q.ResetAt
	}
	return aq, nil
}

// runsView shows runs as Wait reports them.
type runsView interface {
	update(runs []jobs.Run, quotas map[string]accountQuota)
}

// progress shows sync runs as they go: a block of lines redrawn in place
// on a terminal, otherwise a line per run when its state changes (and at
// most every plainEvery while its pages grow).
type progress struct {
	w   io.Writer
	tty bool
	now func() time.Time
	// width is the terminal's width; redrawn lines are cut to it (a
	// wrapped line would break the redraw).
	width func() int

	// totals are the records each run is expected to read (by run id),
	// from count calls or the simulator; absent: unknown, no ETA.
	totals map[int64]int64

	drawn   int                  // lines drawn last time (terminal)
	printed map[int64]plainState // last line printed per run (plain)
	first   map[int64]observation
}

type plainState struct {
	status warehouse.RunStatus
	pages  int64
	at     time.Time
}

// observation is a run's rows at a time, for its rate.
type observation struct {
	rows int64
	at   time.Time
}

func newProgress(w io.Writer, tty bool, now func() time.Time) *progress {
	return &progress{w: w, tty: tty, now: now, totals: map[int64]int64{},
		printed: map[int64]plainState{}, first: map[int64]observation{}}
}

// update shows runs with their accounts' quotas.
func (pr *progress) update(runs []jobs.Run, quotas map[string]accountQuota) {
	now := pr.now()
	for _, r := range runs {
		if _, ok := pr.first[r.ID]; !ok {
			pr.first[r.ID] = observation{rows: r.Rows(), at: now}
		}
	}
	if pr.tty {
		pr.redraw(runs, quotas, now)
		return
	}
	for _, r := range runs {
		last, seen := pr.printed[r.ID]
		var show bool
		switch {
		case r.Status == warehouse.RunRunning && r.Pages == 0:
			// Not started yet: its first page or its end says more.
		case !seen || last.status != r.Status:
			show = true
		default:
			show = r.Pages != last.pages && now.Sub(last.at) >= plainEvery
		}
		if !show {
			continue
		}
		pr.printed[r.ID] = plainState{status: r.Status, pages: r.Pages, at: now}
		fmt.Fprintln(pr.w, pr.line(r, quotas[r.Account], now))
	}
}

// summary is the last line: how the runs ended, their rows and calls.
func (pr *progress) summary(runs []jobs.Run, took time.Duration) {
	var ok int
	var rows, calls, pages int64
	for _, r := range runs {
		if r.Status == warehouse.RunSucceeded {
			ok++
		}
		rows += r.Rows()
		calls += r.APICalls
		pages += r.Pages
	}
	fmt.Fprintf(pr.w, "%d of %d runs succeeded in %s: %s pages, %s rows, %s API calls.\n",
		ok, len(runs), roughDuration(took), num(pages), num(rows), num(calls))
}

func (pr *progress) redraw(runs []jobs.Run, quotas map[string]accountQuota, now time.Time) {
	var b strings.Builder
	if pr.drawn > 0 {
		fmt.Fprintf(&b, "\x1b[%dA", pr.drawn) // back to the block's first line
	}
	lines := 0
	width := 0
	if pr.width != nil {
		width = pr.width()
	}
	for _, r := range runs {
		line := pr.line(r, quotas[r.Account], now)
		if width > 1 && len([]rune(line)) >= width {
			line = string([]rune(line)[:width-1])
		}
		b.WriteString("\x1b[2K" + line + "\n")
		lines++
	}
	pr.drawn = lines
	_, _ = io.WriteString(pr.w, b.String())
}

// line describes one run: its stream, state, pages, rows, calls, the
// account's quota left and an ETA or the time it resumes.
func (pr *progress) line(r jobs.Run, q accountQuota, now time.Time) string {
	name := r.Account + "/" + r.Stream
	if r.Kind == warehouse.RunReconcile {
		name += " (reconcile)"
	}
	s := fmt.Sprintf("%-32s %-12s %5s pages %9s rows %6s calls", name, r.Status, num(r.Pages), num(r.Rows()), num(r.APICalls))
	if r.RowsDeleted > 0 {
		s += fmt.Sprintf(" %s deleted", num(r.RowsDeleted))
	}
	switch r.Status {
	case warehouse.RunPausedQuota:
		return s + fmt.Sprintf("  daily quota spent: resumes %s (%s)", clockTime(r.ResumeAt), ago(&r.ResumeAt, now))
	case warehouse.RunSucceeded:
		return s + "  done in " + roughDuration(r.FinishedAt.Sub(r.StartedAt))
	case warehouse.RunFailed, warehouse.RunCancelled:
		return s + "  " + truncate(r.LastError, 100)
	}
	if q.Limit >= 0 {
		s += fmt.Sprintf("  quota left %s/%s", num(q.Left), num(q.Limit))
	}
	if eta, ok := pr.eta(r, now); ok {
		s += "  ETA " + roughDuration(eta)
	}
	return s
}

// eta estimates the time left of a run from its expected total and the
// rate its rows grew at since it was first seen.
func (pr *progress) eta(r jobs.Run, now time.Time) (time.Duration, bool) {
	total, known := pr.totals[r.ID]
	first := pr.first[r.ID]
	elapsed := now.Sub(first.at)
	grown := r.Rows() - first.rows
	if !known || grown <= 0 || elapsed < time.Second {
		return 0, false
	}
	left := total - r.Rows()
	if left <= 0 {
		return 0, false
	}
	rate := float64(grown) / elapsed.Seconds()
	return time.Duration(math.Ceil(float64(left)/rate)) * time.Second, true
}

// clockTime writes a time of day for progress lines.
func clockTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Local().Format("15:04:05 MST")
}
