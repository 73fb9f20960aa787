package jobs

import (
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/keapsync/keapsync/warehouse"
)

// The pipeline's parts, for the tests of package jobs_test alone: the
// package's users go through the Pipeline's methods.

// RiverClient returns the pipeline's River client.
func (p *Pipeline) RiverClient() *river.Client[pgx.Tx] { return p.river }

// WarehouseOf returns the pipeline's warehouse.
func (p *Pipeline) WarehouseOf() *warehouse.Warehouse { return p.wh }
