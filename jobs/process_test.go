package jobs_test

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/keapsync/keapsync/internal/syncbuf"
	"github.com/keapsync/keapsync/jobs"
	"github.com/keapsync/keapsync/keap"
	"github.com/keapsync/keapsync/warehouse/warehousetest"
)

// workerEnv names the environment variable that turns the test binary into
// a worker process (see TestMain); workerKeyEnv carries its API key, which
// never goes on a command line.
const (
	workerEnv    = "KEAPSYNC_TEST_WORKER"
	workerKeyEnv = "KEAPSYNC_TEST_WORKER_API_KEY"
)

// workerSpec is what a worker process works: the env's schemas and
// accounts.
type workerSpec struct {
	// DatabaseURL is where the worker connects; default the test database.
	DatabaseURL        string
	Data, State, River string
	Accounts           []workerAccount
	Workers            int
	JobTimeout         time.Duration
	RescueAfter        time.Duration
	QuotaWait          time.Duration
	PageSize           int
	// ClockOffset sets the worker's clock this far off the real one, as a
	// machine's clock may be.
	ClockOffset time.Duration
}

type workerAccount struct {
	Name    string
	BaseURL string
	Quota   keap.QuotaConfig
}

func TestMain(m *testing.M) {
	if spec := os.Getenv(workerEnv); spec != "" {
		os.Exit(runWorker(spec))
	}
	// Most of these tests wait: on quotas paced like Keap's, on worker
	// processes, on River's rescuer. Let more of them wait at once than
	// the default of one per CPU, unless -test.parallel says otherwise.
	flag.Parse()
	if !flagSet("test.parallel") {
		_ = flag.Set("test.parallel", "4")
	}
	os.Exit(m.Run())
}

func flagSet(name string) bool {
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// runWorker works the spec's jobs until SIGTERM (or SIGKILL).
func runWorker(specJSON string) int {
	var spec workerSpec
	if err := json.Unmarshal([]byte(specJSON), &spec); err != nil {
		fmt.Fprintln(os.Stderr, "worker: spec:", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	url := spec.DatabaseURL
	if url == "" {
		url = warehousetest.DatabaseURL()
	}
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		fmt.Fprintln(os.Stderr, "worker:", err)
		return 2
	}
	// Jobs hold a connection only while they commit, and the database
	// allows 100 for every test at once: 6 (River's listener, four
	// commits, one spare) and the ledger's 2 per worker process (the full
	// chaos suite runs alone and may take 20).
	maxConns := 6
	if os.Getenv("KEAPSYNC_CHAOS") == "1" {
		maxConns = 20
	}
	cfg.MaxConns = int32(min(spec.Workers*len(spec.Accounts)+6, maxConns))
	cfg.MaxConnIdleTime, cfg.HealthCheckPeriod = time.Second, 500*time.Millisecond
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "worker:", err)
		return 1
	}
	defer pool.Close()
	ledgerCfg := cfg.Copy()
	ledgerCfg.MaxConns = 2
	ledgerPool, err := pgxpool.NewWithConfig(ctx, ledgerCfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "worker:", err)
		return 1
	}
	defer ledgerPool.Close()
	jc := jobs.Config{
		Pool: pool, LedgerPool: ledgerPool, DataSchema: spec.Data, StateSchema: spec.State, RiverSchema: spec.River,
		Workers: spec.Workers, JobTimeout: spec.JobTimeout, RescueAfter: spec.RescueAfter, QuotaWait: spec.QuotaWait,
		PollInterval: 100 * time.Millisecond, SnoozeJitter: 100 * time.Millisecond, PageSize: spec.PageSize,
		Now:    func() time.Time { return time.Now().Add(spec.ClockOffset) },
		Retry:  jobs.RetryConfig{BaseDelay: 50 * time.Millisecond, MaxDelay: 500 * time.Millisecond},
		Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
	}
	for _, a := range spec.Accounts {
		jc.Accounts = append(jc.Accounts, jobs.Account{Name: a.Name, Keap: keap.Config{
			BaseURL: a.BaseURL, Credential: keap.NewAPIKey(os.Getenv(workerKeyEnv)), Quota: a.Quota,
			Retry: keap.RetryConfig{BaseDelay: 10 * time.Millisecond, MaxDelay: 100 * time.Millisecond},
		}})
	}
	stats := &ledgerStats{}
	jc.Metrics = stats
	p, err := jobs.New(jc)
	if err != nil {
		fmt.Fprintln(os.Stderr, "worker:", err)
		return 2
	}
	if err := p.Start(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "worker:", err)
		return 1
	}
	<-ctx.Done()
	stopCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = p.Stop(stopCtx)
	stats.print(os.Stdout)
	return 0
}

// ledgerStats records how long the shared quota ledger took to answer each
// reservation of a worker process.
type ledgerStats struct {
	jobs.NopMetrics
	mu       sync.Mutex
	store    []time.Duration
	late     []time.Duration
	refused  int
	heldBack int
}

func (s *ledgerStats) Call(_ string, c keap.Call) {
	if !c.Refused {
		s.mu.Lock()
		s.late = append(s.late, c.Lateness)
		if c.HeldBack {
			s.heldBack++
		}
		s.mu.Unlock()
	}
	if c.Store <= 0 {
		return
	}
	s.mu.Lock()
	s.store = append(s.store, c.Store)
	if c.Refused {
		s.refused++
	}
	if os.Getenv("KEAPSYNC_DEBUG_LEDGER") != "" && c.Store > 50*time.Millisecond {
		fmt.Fprintf(os.Stderr, "SLOW reserve #%d %s %s\n", len(s.store), c.Path, c.Store)
	}
	s.mu.Unlock()
}

// ledgerSummary is what a worker reports of its reservations at exit.
type ledgerSummary struct {
	Reserves int `json:"reserves"`
	// Refused counts the reservations the ledger answered with a slot
	// further away than the job may wait (it snoozed instead).
	Refused int `json:"refused"`
	// HeldBack counts the calls held back before their first byte for
	// leaving too late after their slots (they took new slots).
	HeldBack int `json:"held_back"`
	// LateP99 and LateMax are how late after their slots the calls were
	// about to leave.
	LateP99 time.Duration `json:"late_p99"`
	LateMax time.Duration `json:"late_max"`
	P50     time.Duration `json:"p50"`
	P99     time.Duration `json:"p99"`
	Max     time.Duration `json:"max"`
}

func (s *ledgerStats) print(w io.Writer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	slices.Sort(s.store)
	sum := ledgerSummary{Reserves: len(s.store), Refused: s.refused, HeldBack: s.heldBack}
	if n := len(s.store); n > 0 {
		sum.P50, sum.P99, sum.Max = s.store[n/2], s.store[(n*99)/100], s.store[n-1]
	}
	slices.Sort(s.late)
	if n := len(s.late); n > 0 {
		sum.LateP99, sum.LateMax = s.late[(n*99)/100], s.late[n-1]
	}
	b, _ := json.Marshal(sum)
	fmt.Fprintf(w, "LEDGER %s\n", b)
}

// workerBinary is this package's test binary built as users build
// keapsync, without the race detector (once per env, whatever this binary
// was built with; the go command caches it): worker processes are
// measured for pacing, which the race detector's slowdown would distort.
// The in-process tests keep covering the same code under -race.
func (e *env) workerBinary() string {
	e.t.Helper()
	if e.workerBin == "" {
		bin := filepath.Join(e.t.TempDir(), "jobs.test")
		out, err := exec.Command("go", "test", "-c", "-o", bin, "github.com/keapsync/keapsync/jobs").CombinedOutput()
		if err != nil {
			e.t.Fatalf("go test -c: %v\n%s", err, out)
		}
		e.workerBin = bin
	}
	return e.workerBin
}

// worker is a worker process.
type worker struct {
	cmd *exec.Cmd
	out *syncbuf.Buffer
}

// spawn starts a worker process on the env's schemas and accounts.
func (e *env) spawn(spec workerSpec) *worker {
	e.t.Helper()
	spec.Data, spec.State, spec.River = e.mig.DataSchema, e.mig.StateSchema, e.mig.RiverSchema
	if spec.PageSize == 0 {
		spec.PageSize = e.cfg.PageSize
	}
	if spec.Accounts == nil {
		for _, a := range e.cfg.Accounts {
			spec.Accounts = append(spec.Accounts, workerAccount{Name: a.Name, BaseURL: a.Keap.BaseURL, Quota: a.Keap.Quota})
		}
	}
	b, err := json.Marshal(spec)
	if err != nil {
		e.t.Fatal(err)
	}
	w := &worker{out: &syncbuf.Buffer{}}
	w.cmd = exec.Command(e.workerBinary(), "-test.run=^$")
	w.cmd.Env = append(os.Environ(), workerEnv+"="+string(b), workerKeyEnv+"="+e.apiKey(spec.Accounts[0].Name))
	w.cmd.Stdout, w.cmd.Stderr = w.out, w.out
	if err := w.cmd.Start(); err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { w.kill() })
	return w
}

// stop sends SIGTERM, waits for the process, and returns the ledger
// summary it printed.
func (w *worker) stop(t testing.TB) ledgerSummary {
	t.Helper()
	if w.cmd.ProcessState == nil {
		_ = w.cmd.Process.Signal(syscall.SIGTERM)
		_ = w.cmd.Wait()
	}
	out := w.out.String()
	i := strings.LastIndex(out, "LEDGER ")
	if i < 0 {
		t.Fatalf("the worker printed no ledger summary:\n%s", out)
	}
	var sum ledgerSummary
	if err := json.Unmarshal([]byte(strings.TrimSpace(strings.SplitN(out[i+len("LEDGER "):], "\n", 2)[0])), &sum); err != nil {
		t.Fatal(err)
	}
	return sum
}

// kill sends SIGKILL and reaps the process.
func (w *worker) kill() {
	if w.cmd.ProcessState != nil {
		return
	}
	_ = w.cmd.Process.Kill()
	_ = w.cmd.Wait()
}
