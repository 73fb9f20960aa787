package jobs_test

import (
	"context"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/keapsync/keapsync/jobs"
	"github.com/keapsync/keapsync/keap"
	"github.com/keapsync/keapsync/warehouse"
	"github.com/keapsync/keapsync/warehouse/warehousetest"
)

func migrateConfig(t *testing.T, pool *pgxpool.Pool) jobs.MigrateConfig {
	t.Helper()
	data, state, river := warehousetest.Schemas(t, pool)
	return jobs.MigrateConfig{DataSchema: data, StateSchema: state, RiverSchema: river}
}

func exists(t *testing.T, pool *pgxpool.Pool, name string) bool {
	t.Helper()
	var ok bool
	if err := pool.QueryRow(context.Background(), "SELECT to_regclass($1) IS NOT NULL", name).Scan(&ok); err != nil {
		t.Fatal(err)
	}
	return ok
}

func TestMigrate_FromEmptyCreatesWarehouseAndRiverTables(t *testing.T) {
	t.Parallel()
	pool := warehousetest.NewPool(t, 4)
	cfg := migrateConfig(t, pool)

	res, err := jobs.Migrate(context.Background(), pool, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Warehouse) == 0 || len(res.River) == 0 {
		t.Fatalf("Migrate = %+v, want both warehouse and River migrations applied", res)
	}
	for _, name := range []string{
		cfg.DataSchema + ".contacts", cfg.DataSchema + ".freshness", cfg.StateSchema + ".quota_ledger",
		cfg.RiverSchema + ".river_job", cfg.RiverSchema + ".river_migration",
	} {
		if !exists(t, pool, name) {
			t.Errorf("%s missing after Migrate", name)
		}
	}
	if exists(t, pool, "public.river_job") && !exists(t, pool, cfg.RiverSchema+".river_job") {
		t.Error("River's tables went to public, not the configured schema")
	}
}

func TestMigrate_TwiceAppliesNothingTheSecondTime(t *testing.T) {
	t.Parallel()
	pool := warehousetest.NewPool(t, 4)
	cfg := migrateConfig(t, pool)
	ctx := context.Background()

	if _, err := jobs.Migrate(ctx, pool, cfg); err != nil {
		t.Fatal(err)
	}
	res, err := jobs.Migrate(ctx, pool, cfg)
	if err != nil {
		t.Fatalf("second Migrate: %v", err)
	}
	if len(res.Warehouse) != 0 || len(res.River) != 0 {
		t.Errorf("second Migrate applied %+v, want nothing", res)
	}
}

func TestMigrate_ConcurrentRunsAllSucceedAndApplyOnce(t *testing.T) {
	t.Parallel()
	pool := warehousetest.NewPool(t, 8)
	cfg := migrateConfig(t, pool)
	ctx := context.Background()

	const runs = 2
	var wg sync.WaitGroup
	results := make([]jobs.MigrateResult, runs)
	errs := make([]error, runs)
	for i := range runs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = jobs.Migrate(ctx, pool, cfg)
		}()
	}
	wg.Wait()
	var warehouseApplied, riverApplied int
	for i := range runs {
		if errs[i] != nil {
			t.Fatalf("run %d: %v", i, errs[i])
		}
		warehouseApplied += len(results[i].Warehouse)
		riverApplied += len(results[i].River)
	}
	var riverVersions int
	if err := pool.QueryRow(ctx, "SELECT count(*) FROM "+cfg.RiverSchema+".river_migration").Scan(&riverVersions); err != nil {
		t.Fatal(err)
	}
	if riverApplied != riverVersions {
		t.Errorf("runs applied %d River migrations, %d recorded: some applied twice or lost", riverApplied, riverVersions)
	}
	if warehouseApplied == 0 || riverApplied == 0 {
		t.Errorf("runs applied %d warehouse and %d River migrations, want all of each once", warehouseApplied, riverApplied)
	}
}

func TestMigrate_RejectsInvalidRiverSchema(t *testing.T) {
	t.Parallel()
	pool := warehousetest.NewPool(t, 2)
	if _, err := jobs.Migrate(context.Background(), pool, jobs.MigrateConfig{RiverSchema: "River Jobs"}); err == nil {
		t.Error("Migrate accepted a River schema name needing quotes")
	}
	if _, err := jobs.Migrate(context.Background(), warehousetest.NewPool(t, 1), jobs.MigrateConfig{}); err == nil {
		t.Error("Migrate accepted a pool of one connection, on which River's migration would wait forever")
	}
}

// TestWarehouse_OneTablePerStream keeps the warehouse's tables in step with
// the client's stream catalogue.
func TestWarehouse_OneTablePerStream(t *testing.T) {
	t.Parallel()
	tables := map[string]bool{}
	for _, tbl := range warehouse.Tables() {
		tables[tbl.Name] = true
	}
	for _, s := range keap.Streams {
		if !tables[s.Name] {
			t.Errorf("stream %s has no warehouse table", s.Name)
		}
		delete(tables, s.Name)
	}
	for name := range tables {
		t.Errorf("warehouse table %s belongs to no stream", name)
	}
}

func TestMigrations_ReportsHowFarTheSchemasAre(t *testing.T) {
	t.Parallel()
	pool := warehousetest.NewPool(t, 4)
	cfg := migrateConfig(t, pool)
	ctx := context.Background()
	before, err := jobs.Migrations(ctx, pool, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if before.Warehouse != 0 || before.River != 0 || before.WarehouseLatest == 0 || before.RiverLatest == 0 || before.Current() {
		t.Fatalf("before migrating: %+v (%s)", before, before)
	}
	if _, err := jobs.Migrate(ctx, pool, cfg); err != nil {
		t.Fatal(err)
	}
	after, err := jobs.Migrations(ctx, pool, cfg)
	if err != nil || !after.Current() || after.Warehouse != before.WarehouseLatest || after.River != before.RiverLatest {
		t.Fatalf("after migrating: %+v, %v", after, err)
	}
}
