package jobs

import (
	"context"
	"math"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/keapsync/keapsync/keap"
	"github.com/keapsync/keapsync/warehouse"
)

// Reading one page at a time, a large stream goes as fast as Keap answers,
// not as fast as the quota allows: at 5 calls a second and a second a page,
// one reader uses a fifth of the quota. A large keyset read whose first page
// comes back slower than the quota's spacing is therefore split into id
// ranges read in parallel:
//
//  1. After the first page of an unbounded slice (ids above a position), if
//     the page was full and Keap took longer than the quota needs between
//     two calls, a probe slice reads one page from the top of the range,
//     descending. Its records are data like any other page's.
//  2. The probe's lowest id m bounds what is left between the first slice's
//     position a and m. That gap is cut into ranges of equal id span (Keap's
//     ids are auto-increment, so records spread evenly over them): the first
//     slice keeps the lowest, new slices take the others.
//
// Every range ends in a partial page, so a split costs at most one extra
// call per slice; reads that are not latency-bound are never split.

// readersWanted is how many readers keep up with the quota when Keap takes
// elapsed to answer a page: the quota's per-second spacing divided into
// the latency, at most MaxSlices. 1 means no split.
func (p *Pipeline) readersWanted(a *account, elapsed time.Duration) int {
	q := a.client.QuotaConfig()
	if q.PerSecond <= 0 || q.Second <= 0 {
		return 1 // no pace to keep up with
	}
	spacing := q.Second / time.Duration(q.PerSecond)
	return max(1, min(int(math.Ceil(float64(elapsed)/float64(spacing))), p.cfg.MaxSlices))
}

// probeNeeded reports whether the page just read by cur should start a
// probe: only the first page of an unbounded ascending keyset slice, full,
// in a run with no other probe, read slower than the quota's pace.
func (p *Pipeline) probeNeeded(a *account, s keap.Stream, cur, next warehouse.Slice, page *keap.Page, slices []warehouse.Slice) bool {
	if !s.KeysetByID() || !s.IDRange || cur.Page != 0 || cur.Probe || cur.BeforeID != 0 || next.Done {
		return false
	}
	if len(page.Records) < p.pageSize(s) || len(slices) >= p.cfg.MaxSlices {
		return false
	}
	for _, sl := range slices {
		if sl.Probe {
			return false
		}
	}
	return p.readersWanted(a, page.Elapsed) > 1
}

// split starts a probe after the first page of a large latency-bound read,
// and divides the rest among parallel slices once the probe's page is in.
// cur is the slice that read page, next the slice as just advanced.
func (r *syncRun) split(ctx context.Context, tx pgx.Tx, cur, next warehouse.Slice, page *keap.Page) error {
	if cur.Probe {
		return r.splitAfterProbe(ctx, tx, cur, page)
	}
	if cur.Page != 0 || !r.s.KeysetByID() {
		return nil
	}
	slices, err := r.p.wh.Slices(ctx, tx, cur.RunID)
	if err != nil {
		return err
	}
	if !r.p.probeNeeded(r.a, r.s, cur, next, page, slices) {
		return nil
	}
	return r.addProbe(ctx, tx, slices, next)
}

// addProbe adds the descending probe slice above next's position (next is
// the slice as just advanced) and enqueues it.
func (r *syncRun) addProbe(ctx context.Context, tx pgx.Tx, slices []warehouse.Slice, next warehouse.Slice) error {
	probe := warehouse.Slice{RunID: next.RunID, N: len(slices), Since: next.Since, Until: next.Until,
		AfterID: next.AfterID, Probe: true, ProbeFor: next.N}
	if err := r.p.wh.AddSlice(ctx, tx, probe); err != nil {
		return err
	}
	return r.enqueue(ctx, tx, probe.N, 0)
}

// splitAfterProbe divides what is left between the probed slice's
// position and the probe's lowest id among the probed slice and new
// slices, once the probe's page (the top of the range) is read.
func (r *syncRun) splitAfterProbe(ctx context.Context, tx pgx.Tx, probe warehouse.Slice, page *keap.Page) error {
	p, a, s := r.p, r.a, r.s
	lo, hi, ok := idRange(page)
	if !ok {
		return nil
	}
	par, err := p.wh.LockSlice(ctx, tx, probe.RunID, probe.ProbeFor)
	if err != nil {
		return err
	}
	if par.Done || par.BeforeID != 0 || par.AfterID >= lo-1 {
		return nil // the probed slice finished, or reached the probe's page
	}
	slices, err := p.wh.Slices(ctx, tx, probe.RunID)
	if err != nil {
		return err
	}
	active := 0
	for _, sl := range slices {
		if !sl.Done && !sl.Probe {
			active++
		}
	}
	// Readers for the gap below the probe's page: what the latency asks
	// for, within MaxSlices, and fewer when the gap holds less than two
	// pages a reader (judged by the density of ids in the probe's page).
	gap := lo - 1 - par.AfterID
	idsPerPage := (hi - lo + 1) * int64(p.pageSize(s)) / int64(len(page.Records))
	readers := min(p.readersWanted(a, page.Elapsed), p.cfg.MaxSlices-active+1)
	readers = max(1, min(readers, int(gap/max(2*idsPerPage, 1))))
	step := gap / int64(readers)
	// Range i holds the ids from first[i] up to first[i+1]-1.
	first := make([]int64, readers+1)
	for i := range readers {
		first[i] = par.AfterID + 1 + int64(i)*step
	}
	first[readers] = lo
	par.BeforeID = first[1]
	if err := p.wh.SaveSlice(ctx, tx, par); err != nil {
		return err
	}
	for i := 1; i < readers; i++ {
		sl := warehouse.Slice{RunID: probe.RunID, N: len(slices) + i - 1, Since: probe.Since, Until: probe.Until,
			AfterID: first[i] - 1, BeforeID: first[i+1]}
		if err := p.wh.AddSlice(ctx, tx, sl); err != nil {
			return err
		}
		if err := r.enqueue(ctx, tx, sl.N, 0); err != nil {
			return err
		}
	}
	return nil
}

// idRange is the lowest and highest id of a page's records.
func idRange(page *keap.Page) (lo, hi int64, ok bool) {
	lo, hi = math.MaxInt64, math.MinInt64
	for _, r := range page.Records {
		lo, hi = min(lo, r.ID), max(hi, r.ID)
	}
	return lo, hi, hi >= lo
}
