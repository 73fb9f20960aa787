package warehouse_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/keapsync/keapsync/warehouse"
	"github.com/keapsync/keapsync/warehouse/warehousetest"
)

func TestLiveRows_EveryStreamTableKeepsItsCount(t *testing.T) {
	t.Parallel()
	b := warehousetest.New(t, 4)
	ctx := context.Background()
	for _, tbl := range warehouse.Tables() {
		var n int
		err := b.Pool.QueryRow(ctx, `SELECT count(*) FROM pg_trigger g JOIN pg_class c ON c.oid = g.tgrelid
			JOIN pg_namespace s ON s.oid = c.relnamespace
			WHERE s.nspname = $1 AND c.relname = $2 AND g.tgname LIKE 'live_rows_%'`, b.Config.DataSchema, tbl.Name).Scan(&n)
		if err != nil || n != 3 {
			t.Errorf("%s: %d live-row triggers (%v), want 3 (call count_live_rows in its migration)", tbl.Name, n, err)
		}
	}
}

func TestLiveRows_CountsWhatEveryKindOfStatementChanges(t *testing.T) {
	t.Parallel()
	b := warehousetest.New(t, 8)
	ctx := context.Background()
	tags := pgx.Identifier{b.Config.DataSchema, "tags"}.Sanitize()
	exec := func(sql string, args ...any) {
		t.Helper()
		if _, err := b.Pool.Exec(ctx, fmt.Sprintf(sql, tags), args...); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	check := func(step string) {
		t.Helper()
		for _, account := range []string{"acme", "globex"} {
			var want int64
			if err := b.Pool.QueryRow(ctx, fmt.Sprintf(`SELECT count(*) FROM %s WHERE account = $1 AND _deleted_at IS NULL`, tags),
				account).Scan(&want); err != nil {
				t.Fatal(err)
			}
			got, err := b.Warehouse.LiveRows(ctx, b.Pool, "tags", account)
			if err != nil || got != want {
				t.Errorf("%s: %s live rows = %d (%v), count(*) = %d", step, account, got, err, want)
			}
		}
	}
	const insert = `INSERT INTO %s (account, id, name, raw, _hash, _deleted_at)
		SELECT $1, g, 'tag ' || g, '{}', '\x00', CASE WHEN g %% 10 = 0 THEN now() END FROM generate_series($2::bigint, $3::bigint) g`
	check("empty")
	exec(insert, "acme", 1, 1000)
	exec(insert, "globex", 1, 30)
	check("inserted, a tenth of them deleted")

	// Writers on connections of their own, side by side: each adds to a
	// shard, and the sum is the count.
	var wg sync.WaitGroup
	for i := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			first := int64(10000 + i*100)
			if _, err := b.Pool.Exec(ctx, fmt.Sprintf(insert, tags), "acme", first, first+99); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	check("concurrent inserts")

	exec(`UPDATE %s SET _deleted_at = now() WHERE account = 'acme' AND id BETWEEN 1 AND 100`)
	check("soft-deleted")
	exec(`UPDATE %s SET _deleted_at = NULL WHERE account = 'acme' AND id BETWEEN 50 AND 300`)
	check("undeleted")
	exec(`UPDATE %s SET name = 'renamed' WHERE account = 'globex'`)
	check("updated without a delete")
	exec(`INSERT INTO %s (account, id, name, raw, _hash) VALUES ('acme', 5, 'again', '{}', '\x01'), ('acme', 99999, 'new', '{}', '\x01')
		ON CONFLICT (account, id) DO UPDATE SET _deleted_at = NULL, name = excluded.name`)
	check("upserted")
	exec(`DELETE FROM %s WHERE account = 'acme' AND id %% 3 = 0`)
	check("deleted")

	// A rolled-back change leaves the count as it was.
	tx, err := b.Pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, fmt.Sprintf(`DELETE FROM %s`, tags)); err != nil {
		t.Fatal(err)
	}
	if n, err := b.Warehouse.LiveRows(ctx, tx, "tags", "acme"); err != nil || n != 0 {
		t.Errorf("within the deleting transaction: %d live rows (%v), want 0", n, err)
	}
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	check("rolled back")
}
