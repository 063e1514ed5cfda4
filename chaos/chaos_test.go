package chaos

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The short runs go with every `go test ./...`; a long one is
//
//	go test ./chaos -run 'TestChaos/' -timeout 0 -v -chaos.seed 100 -chaos.runs 8 -chaos.duration 45s
//
// (see RELIABILITY.md). A seed fixes the fault schedule and the clients'
// choices; the timing of a real cluster does the rest, so a replay is
// close to, not exactly, the run that found a violation.
var (
	seedFlag     = flag.Uint64("chaos.seed", 0, "run this seed only (0: the regression seeds)")
	runsFlag     = flag.Int("chaos.runs", 1, "with -chaos.seed: run this many seeds from it, one after another")
	durationFlag = flag.Duration("chaos.duration", 0, "load and faults per run (0: the short default)")
	outFlag      = flag.String("chaos.out", os.TempDir(), "dir for porcupine's visualisation of a failing history")
	historyFlag  = flag.String("chaos.history", "", "TestRecheck: the JSON history a failing run saved")
)

// regressionSeeds are run by default: seeds that once found a violation,
// each with what it was, and seeds that give the faults a wide spread.
var regressionSeeds = []uint64{1}

const shortRun = 20 * time.Second

func TestChaos(t *testing.T) {
	seeds := regressionSeeds
	if *seedFlag != 0 {
		seeds = nil
		for i := range max(*runsFlag, 1) {
			seeds = append(seeds, *seedFlag+uint64(i))
		}
	}
	d := shortRun
	if *durationFlag > 0 {
		d = *durationFlag
	}
	for _, hal := range []bool{false, true} {
		for _, seed := range seeds {
			name := "single"
			if hal {
				name = "hal"
			}
			t.Run(fmt.Sprintf("%s/seed-%d", name, seed), func(t *testing.T) {
				runAndCheck(t, Config{Licd: licdBin, Dir: t.TempDir(), HAL: hal, Seed: seed, Duration: d, Out: *outFlag,
					CheckTimeout: max(time.Minute, 3*d), Log: t.Logf})
			})
		}
	}
}

func runAndCheck(t *testing.T, cfg Config) {
	rep, err := Run(cfg)
	if err != nil {
		t.Fatalf("seed %d: %v", cfg.Seed, err)
	}
	t.Log(rep.String())
	if len(rep.Violations) > 0 {
		t.Errorf("%d violations; replay: go test ./chaos -run 'TestChaos/%s/' -v -chaos.seed %d", len(rep.Violations), rep.Mode, cfg.Seed)
	}
}

// The suite must catch a server that breaks the promise, or a clean run
// proves nothing: licd built with -tags chaosbug grants one license over
// COUNT after a restart (internal/engine/plantedbug_on.go).
func TestPlantedBugIsCaught(t *testing.T) {
	buggy, err := BuildLicd(t.TempDir(), "chaosbug")
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Run(Config{Licd: buggy, Dir: t.TempDir(), Seed: 1, Duration: 10 * time.Second,
		CheckTimeout: time.Minute, Log: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	t.Log(rep.String())
	var overCount, notLinearizable bool
	for _, v := range rep.Violations {
		overCount = overCount || strings.Contains(v, "licenses held at")
		notLinearizable = notLinearizable || strings.Contains(v, "not linearizable")
	}
	if !overCount || !notLinearizable {
		t.Errorf("a licd that grants over COUNT after a restart: over-count found %v, not linearizable %v; want both", overCount, notLinearizable)
	}
}

// TestRecheck runs the checks again on a history a failing run saved, for
// a closer look: go test ./chaos -run TestRecheck -v -chaos.history FILE.
func TestRecheck(t *testing.T) {
	if *historyFlag == "" {
		t.Skip("no -chaos.history")
	}
	b, err := os.ReadFile(*historyFlag)
	if err != nil {
		t.Fatal(err)
	}
	var r Recorded
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatalf("%s: %v", *historyFlag, err)
	}
	ops := r.Ops
	count := map[string]int{}
	for _, f := range loads {
		count[f.Name] = f.Count
	}
	v := append(OverCount(ops, count), Lost(ops)...)
	res, lv := Linearizable(ops, count, inFlight(r.Faults, r.Timeout), 10*time.Minute, filepath.Join(*outFlag, "floatlic-chaos-recheck.html"))
	t.Logf("%d operations, linearizability: %s", len(ops), res)
	for _, x := range append(v, lv...) {
		t.Errorf("violation: %s", x)
	}
}
