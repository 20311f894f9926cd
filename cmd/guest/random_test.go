package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/fsx-wasix/fsx-wasix/internal/testutil"
	"github.com/fsx-wasix/fsx-wasix/pkg/exerciser"
	"github.com/fsx-wasix/fsx-wasix/pkg/guestapi"
)

const seedConfig = "testdata/fsx-10mb.toml"

// guest runs the native guest and returns stdout, stderr and the exit code.
func guest(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	return guestIn(t, "", args...)
}

// guestIn runs the native guest in dir ("" = the test's own), as the seed
// runs verify-files with a relative report path.
func guestIn(t *testing.T, dir string, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(testutil.GuestNative(t), args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "NO_COLOR=1")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	code := 0
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("running the guest: %v", err)
	}
	return stdout.String(), stderr.String(), code
}

func TestRandomSeedConfigPasses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		seed    string
		threads []string // as typed
		n       int
	}{
		{"1", []string{"-j", "2"}, 300},
		{"2", []string{"-j3"}, 200},
		{"77", []string{"--threads=4"}, 120},
		{"5", []string{"-j", "1"}, 400},
	}
	for _, tt := range tests {
		t.Run("seed"+tt.seed, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			args := append([]string{"-f", seedConfig, "-N", strconv.Itoa(tt.n), "-S", tt.seed}, tt.threads...)
			stdout, stderr, code := guest(t, append(args, filepath.Join(dir, "fsxfile"))...)
			if code != 0 {
				t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
			}
			j, _ := strconv.Atoi(strings.TrimLeft(strings.Join(tt.threads, ""), "-j-threads="))
			if !strings.Contains(stdout, "Using seed "+tt.seed) {
				t.Fatalf("no 'Using seed %s':\n%s", tt.seed, stdout)
			}
			if got := strings.Count(stdout, "All operations completed A-OK!"); got != j {
				t.Fatalf("%d A-OK lines, want %d:\n%s", got, j, stdout)
			}
			if j > 1 {
				for k := 1; k <= j; k++ {
					if _, err := os.Stat(filepath.Join(dir, "thread-"+strconv.Itoa(k), "fsxfile")); err != nil {
						t.Fatal(err)
					}
				}
			}
		})
	}
}

var replayOpsRE = regexp.MustCompile(`or run exactly the saved ops, no random choice:\n  (.*)\n`)

var replayRE = regexp.MustCompile(`Replay this worker alone \(expect exit code (\d+) at op (\d+)\):\n  (.*)\n`)

// --inject fails with the report, the artifacts and an fsx exit code, and
// the replay command it prints fails the same way at the same op.
func TestRandomInjectAndReplay(t *testing.T) {
	t.Parallel()
	for _, seed := range []string{"9", "31"} {
		t.Run("seed"+seed, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			stdout, stderr, code := guest(t, "-f", seedConfig, "-N", "500", "-S", seed, "-j", "2", "--inject", "40", filepath.Join(dir, "fsxfile"))
			if code != exerciser.ExitMiscompare && code != exerciser.ExitSize && code != exerciser.ExitRead {
				t.Fatalf("exit %d, want 110, 120 or 141\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
			}
			for _, want := range []string{"LOG DUMP", "Using seed", "INJECTED", ".fsxgood", ".fsxops"} {
				if !strings.Contains(stdout, want) {
					t.Fatalf("report lacks %q:\n%s", want, stdout)
				}
			}
			m := replayRE.FindStringSubmatch(stdout)
			if m == nil {
				t.Fatalf("no replay command:\n%s", stdout)
			}
			wantCode, wantOp, cmdline := m[1], m[2], strings.Fields(m[3])
			if wantCode != strconv.Itoa(code) && !strings.Contains(stdout, "FAILED exit "+wantCode) {
				t.Fatalf("replay expects exit %s, run exited %d", wantCode, code)
			}
			worker := filepath.Base(filepath.Dir(cmdline[len(cmdline)-1])) // thread-K
			for _, ext := range []string{".fsxgood", ".fsxlog", ".fsxops"} {
				if _, err := os.Stat(filepath.Join(dir, worker, "fsxfile"+ext)); err != nil {
					t.Fatal(err)
				}
			}
			if !strings.Contains(m[3], "-j 1") || !strings.Contains(m[3], "--inject 40") || !strings.Contains(m[3], "-f "+seedConfig) {
				t.Fatalf("replay command incomplete: %s", m[3])
			}
			rout, rerr, rcode := guest(t, cmdline[1:]...)
			if strconv.Itoa(rcode) != wantCode {
				t.Fatalf("replay exit %d, want %s\nstdout:\n%s\nstderr:\n%s", rcode, wantCode, rout, rerr)
			}
			if !strings.Contains(rout, "at op "+wantOp+":") {
				t.Fatalf("replay did not fail at op %s:\n%s", wantOp, rout)
			}
			// The saved ops replay the same failure, with no random choice.
			om := replayOpsRE.FindStringSubmatch(stdout)
			if om == nil {
				t.Fatalf("no --replay-ops command:\n%s", stdout)
			}
			oargs := strings.Fields(om[1])
			oargs[len(oargs)-1] = filepath.Join(dir, "replayed")
			oout, oerr, ocode := guest(t, oargs[1:]...)
			if strconv.Itoa(ocode) != wantCode || !strings.Contains(oout, "at op "+wantOp+":") {
				t.Fatalf("--replay-ops: exit %d, want %s at op %s\nstdout:\n%s\nstderr:\n%s", ocode, wantCode, wantOp, oout, oerr)
			}
		})
	}
}

func TestRandomJSON(t *testing.T) {
	t.Parallel()
	stdout, stderr, code := guest(t, "--json", "-f", seedConfig, "-N", "50", "-S", "3", "-j", "2", filepath.Join(t.TempDir(), "f"))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var res guestapi.RandomResult
	dec := json.NewDecoder(strings.NewReader(stdout))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&res); err != nil || dec.More() {
		t.Fatalf("stdout is not the JSON result: %v\n%s", err, stdout)
	}
	if len(res.Workers) != 2 || res.TotalOps != 100 || res.Seed != 3 || res.FirstFailure() != nil || !strings.Contains(stderr, "Using seed 3") {
		t.Fatalf("result %+v, stderr %s", res, stderr)
	}
	for i, w := range res.Workers {
		if w.Worker != i+1 || w.Seed != 3+uint64(i) || w.OpsDone != 50 || w.Cancelled {
			t.Errorf("worker %d: %+v", i+1, w)
		}
	}
}

// Bad input: one line on stderr naming the problem, the documented exit
// code, never a panic.
func TestRandomBadInput(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	plain := filepath.Join(dir, "plain")
	bad := filepath.Join(dir, "bad.toml")
	os.WriteFile(plain, nil, 0o644)
	os.WriteFile(bad, []byte("flen = 4096\nflen_typo = 3\n"), 0o644)
	badOps := filepath.Join(dir, "bad.fsxops")
	os.WriteFile(badOps, []byte("# ops\nwrite 0x0 0x10 0x0\nwrite 0x0 zz 0x0\n"), 0o644)
	pastFlen := filepath.Join(dir, "past.fsxops")
	os.WriteFile(pastFlen, []byte("write 0x0 0x10 0x0\nmapwrite 0x3ffff0 0x20 0x10\n"), 0o644)
	emptyOps := filepath.Join(dir, "empty.fsxops")
	os.WriteFile(emptyOps, []byte("# nothing\n"), 0o644)
	file := filepath.Join(dir, "f")
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"explicit -j 0", []string{"-j", "0", file}, 2, "-j must be at least 1"},
		{"attached -j0", []string{"-j0", file}, 2, "-j must be at least 1"},
		{"negative -j", []string{"-j", "-3", file}, 2, "-j must be at least 1, got -3"},
		{"negative --threads=", []string{"--threads=-3", file}, 2, "-j must be at least 1"},
		{"negative -N", []string{"-N", "-5", file}, 2, "-N must be -1 (unlimited) or more, got -5"},
		{"negative --numops=", []string{"--numops=-5", file}, 2, "-N must be -1 (unlimited) or more"},
		{"negative -S", []string{"-S", "-1", file}, 2, "-1"},
		{"negative -b", []string{"-b", "-1", file}, 2, "-b must not be negative, got -1"},
		{"negative --log-start=", []string{"--log-start=-1", file}, 2, "-b must not be negative"},
		{"negative --inject", []string{"--inject", "-1", file}, 2, "--inject must not be negative, got -1"},
		{"negative --progress-interval", []string{"--progress-interval=-1s", file}, 2, "--progress-interval must not be negative (0 turns progress off), got -1s"},
		{"oracle negative --progress-interval", []string{"--oracle", "-N", "1", "--progress-interval=-1s", filepath.Join(dir, "oc")}, 2, "--progress-interval must not be negative"},
		{"--progress-interval not a duration", []string{"--progress-interval", "soon", file}, 2, "--progress-interval"},
		{"--inject past -N", []string{"-N", "10", "--inject", "11", file}, 2, "--inject 11 is past the last op (-N 10): it would never fire"},
		{"--oracle with --server", []string{"--oracle", "--server", "3000"}, 2, "--server and --oracle are different modes: give one"},
		{"--case-count 0", []string{"--oracle", "-N", "1", "--case-count", "0", filepath.Join(dir, "oc")}, 2, "--case-count 0: a run needs at least one case"},
		{"oracle chain -2", []string{"--oracle", "-N", "-2", filepath.Join(dir, "oc")}, 2, "-N -2: the oracle's chain length must be 1..8"},
		{"missing config", []string{"-f", filepath.Join(dir, "nope.toml"), file}, 2, "nope.toml"},
		{"unknown config key", []string{"-f", bad, file}, 2, `bad.toml:2:1: unknown key "flen_typo"`},
		{"no FILE", []string{"-N", "1"}, 2, "FILE"},
		{"two FILEs", []string{"a", "b"}, 2, "FILE"},
		{"-v and -q", []string{"-v", "-q", file}, 2, "-v and -q"},
		{"bad -m", []string{"-m", "5", file}, 2, "FROM:TO"},
		{"reversed -m", []string{"-m", "9:3", file}, 2, "FROM < TO"},
		{"malformed ops file", []string{"--replay-ops", badOps, file}, 2, "bad.fsxops: line 3: bad number"},
		{"ops past flen", []string{"--replay-ops", pastFlen, file}, 2, "op 2: mapwrite 0x3ffff0+0x20 goes past flen 0x40000"},
		{"ops file without ops", []string{"--replay-ops", emptyOps, file}, 2, "no ops"},
		{"missing ops file", []string{"--replay-ops", filepath.Join(dir, "nope.fsxops"), file}, 2, "nope.fsxops"},
		{"replay on 2 workers", []string{"--replay-ops", badOps, "-j", "2", file}, 2, "bad.fsxops"},
		{"FILE dir cannot be created", []string{"-N", "1", filepath.Join(plain, "sub", "f")}, exerciser.ExitOpenFile, plain},
		{"-P cannot be created", []string{"-N", "1", "-P", filepath.Join(plain, "art"), file}, exerciser.ExitArtifactDir, "artifact directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, stderr, code := guest(t, tt.args...)
			lines := strings.Split(strings.TrimSpace(stderr), "\n")
			if code != tt.code || !strings.Contains(stderr, tt.want) || len(lines) != 1 || strings.Contains(stderr, "goroutine") {
				t.Fatalf("exit %d (want %d), stderr must be one line containing %q:\n%s", code, tt.code, tt.want, stderr)
			}
		})
	}
}

// The seed's commands, as the README writes them, read ./fsx-10mb.toml at
// the repository root; it must be the seed's config the tests use.
func TestRootConfigIsTheSeeds(t *testing.T) {
	t.Parallel()
	root, err := os.ReadFile("../../fsx-10mb.toml")
	if err != nil {
		t.Fatal(err)
	}
	ours, err := os.ReadFile(seedConfig)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(root, ours) {
		t.Fatal("fsx-10mb.toml at the root differs from cmd/guest/testdata/fsx-10mb.toml")
	}
}
