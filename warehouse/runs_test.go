package warehouse_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/keapsync/keapsync/warehouse"
	"github.com/keapsync/keapsync/warehouse/warehousetest"
)

// startRun starts a one-slice sync run.
func startRun(ctx context.Context, w *warehouse.Warehouse, ex warehouse.Executor, account, stream string, trigger warehouse.Trigger) (warehouse.SyncRun, error) {
	run, _, err := w.StartRun(ctx, ex, warehouse.RunSpec{
		Account: account, Stream: stream, Kind: warehouse.RunSync, Trigger: trigger,
		Slices: []warehouse.Slice{{}},
	})
	return run, err
}

func TestStartRun_SecondStartJoinsTheActiveRun(t *testing.T) {
	t.Parallel()
	b := warehousetest.New(t, 8)
	ctx := context.Background()
	w := b.Warehouse
	until := time.Date(2026, 5, 1, 2, 0, 0, 0, time.UTC)
	spec := warehouse.RunSpec{
		Account: "acme", Stream: "contacts", Kind: warehouse.RunSync, Trigger: warehouse.TriggerSchedule,
		Backfill: true, WindowUntil: until,
		Slices: []warehouse.Slice{{Until: until}, {Until: until, AfterID: 500}},
	}

	// Eight concurrent starts: exactly one run starts, the others join it.
	const n = 8
	runs := make([]warehouse.SyncRun, n)
	started := make([]bool, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			runs[i], started[i], errs[i] = w.StartRun(ctx, b.Pool, spec)
		}()
	}
	wg.Wait()
	starts := 0
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("start %d: %v", i, errs[i])
		}
		if started[i] {
			starts++
		}
		if runs[i].ID != runs[0].ID {
			t.Errorf("start %d got run %d, others %d", i, runs[i].ID, runs[0].ID)
		}
	}
	if starts != 1 {
		t.Fatalf("%d runs started, want exactly 1", starts)
	}
	run := runs[0]
	if !run.Backfill || !run.WindowUntil.Equal(until) || run.Kind != warehouse.RunSync || run.Status != warehouse.RunRunning {
		t.Errorf("run = %+v", run)
	}
	slices, err := w.Slices(ctx, b.Pool, run.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(slices) != 2 || slices[1].N != 1 || slices[1].AfterID != 500 || !slices[0].Until.Equal(until) {
		t.Errorf("slices = %+v", slices)
	}

	// A reconcile run of the same stream is another kind: it starts.
	rec, ok, err := w.StartRun(ctx, b.Pool, warehouse.RunSpec{Account: "acme", Stream: "contacts", Kind: warehouse.RunReconcile,
		Trigger: warehouse.TriggerSchedule, Slices: []warehouse.Slice{{}}})
	if err != nil || !ok || rec.ID == run.ID {
		t.Errorf("reconcile start = %+v, %v, %v; want a run of its own", rec, ok, err)
	}

	// Once final, the next start is a new run.
	if err := w.FinishRun(ctx, b.Pool, run.ID, warehouse.RunSucceeded, ""); err != nil {
		t.Fatal(err)
	}
	next, ok, err := w.StartRun(ctx, b.Pool, spec)
	if err != nil || !ok || next.ID == run.ID {
		t.Errorf("start after finish = %+v, %v, %v; want a new run", next, ok, err)
	}
	latest, found, err := w.LatestRun(ctx, b.Pool, "acme", "contacts", warehouse.RunSync)
	if err != nil || !found || latest.ID != next.ID {
		t.Errorf("LatestRun = %+v, %v, %v; want %d", latest, found, err, next.ID)
	}
}

func TestStartRun_RejectsBadSpecs(t *testing.T) {
	t.Parallel()
	b := warehousetest.New(t, 2)
	ctx := context.Background()
	for name, spec := range map[string]warehouse.RunSpec{
		"trigger": {Account: "a", Stream: "contacts", Kind: warehouse.RunSync, Trigger: "cron", Slices: []warehouse.Slice{{}}},
		"kind":    {Account: "a", Stream: "contacts", Kind: "copy", Trigger: warehouse.TriggerManual, Slices: []warehouse.Slice{{}}},
		"slices":  {Account: "a", Stream: "contacts", Kind: warehouse.RunSync, Trigger: warehouse.TriggerManual},
	} {
		if _, _, err := b.Warehouse.StartRun(ctx, b.Pool, spec); !errors.Is(err, warehouse.ErrInvalidRunState) {
			t.Errorf("%s: StartRun = %v, want ErrInvalidRunState", name, err)
		}
	}
}

func TestSlice_SaveAndLockRoundTrip(t *testing.T) {
	t.Parallel()
	b := warehousetest.New(t, 2)
	ctx := context.Background()
	w := b.Warehouse
	run, err := startRun(ctx, w, b.Pool, "acme", "tags", warehouse.TriggerManual)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 5, 1, 2, 3, 4, 567000, time.UTC)
	want := warehouse.Slice{RunID: run.ID, N: 0, Since: at.Add(-time.Hour), Until: at, AfterID: 41, BeforeID: 900,
		PageToken: "tok", PageOffset: 2000, Page: 3, Done: true, MaxUpdated: at, StopBefore: at.Add(-time.Minute), Records: 2500}
	if err := w.SaveSlice(ctx, b.Pool, want); err != nil {
		t.Fatal(err)
	}
	err = pgx.BeginFunc(ctx, b.Pool, func(tx pgx.Tx) error {
		got, err := w.LockSlice(ctx, tx, run.ID, 0)
		if err != nil {
			return err
		}
		if got != want {
			t.Errorf("LockSlice = %+v\nwant       %+v", got, want)
		}
		locked, err := w.LockRun(ctx, tx, run.ID)
		if err != nil || locked.ID != run.ID {
			t.Errorf("LockRun = %+v, %v", locked, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.AddSlice(ctx, b.Pool, warehouse.Slice{RunID: run.ID, N: 1, Probe: true}); err != nil {
		t.Fatal(err)
	}
	if s, err := w.Slice(ctx, b.Pool, run.ID, 1); err != nil || !s.Probe {
		t.Errorf("Slice 1 = %+v, %v", s, err)
	}
	if _, err := w.Slice(ctx, b.Pool, run.ID, 7); !errors.Is(err, warehouse.ErrNoSlice) {
		t.Errorf("missing slice: %v, want ErrNoSlice", err)
	}
	if err := w.SaveSlice(ctx, b.Pool, warehouse.Slice{RunID: run.ID, N: 9}); !errors.Is(err, warehouse.ErrNoSlice) {
		t.Errorf("saving a missing slice: %v, want ErrNoSlice", err)
	}
}

func TestReopenRun_OnlyWithoutAnotherActiveRun(t *testing.T) {
	t.Parallel()
	b := warehousetest.New(t, 2)
	ctx := context.Background()
	w := b.Warehouse
	run, err := startRun(ctx, w, b.Pool, "acme", "notes", warehouse.TriggerSchedule)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.ReopenRun(ctx, b.Pool, run.ID); !errors.Is(err, warehouse.ErrRunNotActive) {
		t.Errorf("reopening an active run: %v, want ErrRunNotActive", err)
	}
	if err := w.FinishRun(ctx, b.Pool, run.ID, warehouse.RunFailed, "gave up"); err != nil {
		t.Fatal(err)
	}
	if err := w.ReopenRun(ctx, b.Pool, run.ID); err != nil {
		t.Fatalf("reopening a failed run: %v", err)
	}
	if r, _ := w.Run(ctx, b.Pool, run.ID); r.Status != warehouse.RunRunning || !r.FinishedAt.IsZero() {
		t.Errorf("reopened run = %+v", r)
	}
	if err := w.FinishRun(ctx, b.Pool, run.ID, warehouse.RunFailed, "gave up again"); err != nil {
		t.Fatal(err)
	}
	newer, err := startRun(ctx, w, b.Pool, "acme", "notes", warehouse.TriggerSchedule)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.ReopenRun(ctx, b.Pool, run.ID); !errors.Is(err, warehouse.ErrRunConflict) {
		t.Errorf("reopening while run %d is active: %v, want ErrRunConflict", newer.ID, err)
	}
	if err := w.FinishRun(ctx, b.Pool, newer.ID, warehouse.RunSucceeded, ""); err != nil {
		t.Fatal(err)
	}
	if err := w.ReopenRun(ctx, b.Pool, newer.ID); !errors.Is(err, warehouse.ErrRunNotActive) {
		t.Errorf("reopening a succeeded run: %v, want ErrRunNotActive", err)
	}
	active, err := w.ActiveRuns(ctx, b.Pool, "acme")
	if err != nil || len(active) != 0 {
		t.Errorf("ActiveRuns = %+v, %v; want none", active, err)
	}
}

// insertRaw stores rows of table directly, synced at syncedAt.
func insertRaw(t *testing.T, b warehousetest.Bundle, table, account string, syncedAt time.Time, deleted bool, ids ...int64) {
	t.Helper()
	q := fmt.Sprintf(`INSERT INTO %s (account, id, raw, _hash, _synced_at, _deleted_at)
		SELECT $1, id, jsonb_build_object('id', id), '\x00', $2, CASE WHEN $3 THEN $2::timestamptz END FROM unnest($4::bigint[]) id`,
		pgx.Identifier{b.Config.DataSchema, table}.Sanitize())
	if _, err := b.Pool.Exec(context.Background(), q, account, syncedAt, deleted, ids); err != nil {
		t.Fatal(err)
	}
}

func deletedIDs(t *testing.T, b warehousetest.Bundle, table, account string) map[int64]bool {
	t.Helper()
	rows, err := b.Pool.Query(context.Background(), fmt.Sprintf(`SELECT id FROM %s WHERE account = $1 AND _deleted_at IS NOT NULL`,
		pgx.Identifier{b.Config.DataSchema, table}.Sanitize()), account)
	if err != nil {
		t.Fatal(err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		t.Fatal(err)
	}
	out := map[int64]bool{}
	for _, id := range ids {
		out[id] = true
	}
	return out
}

func TestApplyReconcile_DeletesUnseenUndeletesSeenSparesRowsSyncedDuringTheScan(t *testing.T) {
	t.Parallel()
	b := warehousetest.New(t, 2)
	ctx := context.Background()
	w := b.Warehouse
	old := time.Now().Add(-time.Hour)
	insertRaw(t, b, "companies", "acme", old, false, 1, 2, 3, 4)
	insertRaw(t, b, "companies", "acme", old, true, 5, 6) // deleted earlier; 5 came back
	insertRaw(t, b, "companies", "other", old, false, 1, 2, 3, 4, 7)

	run, _, err := w.StartRun(ctx, b.Pool, warehouse.RunSpec{Account: "acme", Stream: "companies", Kind: warehouse.RunReconcile,
		Trigger: warehouse.TriggerSchedule, Slices: []warehouse.Slice{{}}})
	if err != nil {
		t.Fatal(err)
	}
	// Created (and synced) while the scan ran, after its listing passed.
	insertRaw(t, b, "companies", "acme", time.Now().Add(time.Minute), false, 8)
	for _, page := range [][]int64{{1, 2}, {2, 5}} { // 2 listed twice: harmless
		if err := w.RecordSeen(ctx, b.Pool, run.ID, page); err != nil {
			t.Fatal(err)
		}
	}
	res, err := w.ApplyReconcile(ctx, b.Pool, "companies", run, warehouse.NoDeleteLimit)
	if err != nil {
		t.Fatal(err)
	}
	if res != (warehouse.ReconcileResult{Seen: 3, Deleted: 2, Undeleted: 1}) {
		t.Errorf("ApplyReconcile = %+v, want 3 seen, 3 and 4 deleted, 5 undeleted", res)
	}
	got := deletedIDs(t, b, "companies", "acme")
	want := map[int64]bool{3: true, 4: true, 6: true}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("deleted ids = %v, want %v (8 was synced during the scan)", got, want)
	}
	if other := deletedIDs(t, b, "companies", "other"); len(other) != 0 {
		t.Errorf("another account's rows were deleted: %v", other)
	}
	// The seen ids are gone: applying again deletes what is unseen now.
	if res, err := w.ApplyReconcile(ctx, b.Pool, "companies", run, warehouse.NoDeleteLimit); err != nil || res.Seen != 0 {
		t.Errorf("second apply = %+v, %v; want the seen ids cleared", res, err)
	}
}

// TestApplyReconcile_AMassDeleteNeedsASecondReadingOrAnApproval: one
// empty or broken listing used to soft-delete a small table whole (the
// guard allowed at least 100 rows). Now a reading over the limit changes
// nothing, in a transaction that still commits; the next, independent run
// that reads the same applies it, and so does an operator's approval.
func TestApplyReconcile_AMassDeleteNeedsASecondReadingOrAnApproval(t *testing.T) {
	t.Parallel()
	b := warehousetest.New(t, 2)
	ctx := context.Background()
	w := b.Warehouse
	insertRaw(t, b, "notes", "acme", time.Now().Add(-time.Hour), false, 1, 2, 3, 4, 5)
	read := func(seen ...int64) (warehouse.ReconcileResult, error) {
		t.Helper()
		run, _, err := w.StartRun(ctx, b.Pool, warehouse.RunSpec{Account: "acme", Stream: "notes", Kind: warehouse.RunReconcile,
			Trigger: warehouse.TriggerSchedule, Slices: []warehouse.Slice{{}}})
		if err != nil {
			t.Fatal(err)
		}
		defer func() {
			if err := w.FinishRun(ctx, b.Pool, run.ID, warehouse.RunSucceeded, ""); err != nil {
				t.Fatal(err)
			}
		}()
		if err := w.RecordSeen(ctx, b.Pool, run.ID, seen); err != nil {
			t.Fatal(err)
		}
		tx, err := b.Pool.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		res, applyErr := w.ApplyReconcile(ctx, tx, "notes", run, 2)
		if err := tx.Commit(ctx); err != nil {
			t.Fatalf("the caller's transaction cannot commit after ApplyReconcile (%v): %v", applyErr, err)
		}
		return res, applyErr
	}
	// An empty listing: all 5 rows would go. Withheld, nothing changes.
	_, err := read()
	var tooMany *warehouse.TooManyDeletesError
	if !errors.As(err, &tooMany) || !errors.Is(err, warehouse.ErrTooManyDeletes) || tooMany.Deletes != 5 || tooMany.Limit != 2 {
		t.Fatalf("first empty reading: %v, want 5 deletes withheld", err)
	}
	if got := deletedIDs(t, b, "notes", "acme"); len(got) != 0 {
		t.Fatalf("deleted %v on one reading", got)
	}
	// A normal reading in between clears the record: the empty one was a fault.
	if res, err := read(1, 2, 3, 4); err != nil || res.Deleted != 1 {
		t.Fatalf("a reading within the limit: %+v, %v", res, err)
	}
	if _, err := read(1); !errors.Is(err, warehouse.ErrTooManyDeletes) {
		t.Fatalf("a new mass reading after a normal one: %v, want it withheld", err)
	}
	// A second, independent reading of the same confirms it.
	if res, err := read(1); err != nil || res.Deleted != 3 {
		t.Fatalf("the confirming reading: %+v, %v; want 3 deleted", res, err)
	}
	if got := deletedIDs(t, b, "notes", "acme"); len(got) != 4 {
		t.Errorf("deleted %v, want 2, 3, 4, 5", got)
	}
	// An operator's approval lets the next mass reading through, once.
	insertRaw(t, b, "notes", "acme", time.Now().Add(-time.Hour), false, 6, 7, 8)
	if err := w.ApproveMassDelete(ctx, b.Pool, "acme", "notes"); err != nil {
		t.Fatal(err)
	}
	if res, err := read(); err != nil || res.Deleted != 4 {
		t.Fatalf("an approved reading: %+v, %v; want 1, 6, 7, 8 deleted", res, err)
	}
	insertRaw(t, b, "notes", "acme", time.Now().Add(-time.Hour), false, 9, 10, 11)
	if _, err := read(); !errors.Is(err, warehouse.ErrTooManyDeletes) {
		t.Fatalf("after the approved deletion: %v, want the next mass reading withheld", err)
	}
	if got := deletedIDs(t, b, "notes", "acme"); len(got) != 8 {
		t.Errorf("deleted %v, want 1 to 8", got)
	}
}
