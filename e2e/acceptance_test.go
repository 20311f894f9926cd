package e2e_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fsx-wasix/fsx-wasix/internal/runner"
	"github.com/fsx-wasix/fsx-wasix/internal/testutil"
)

// acceptanceScript is the seed's commands as a script: the repository's
// own copy (scripts/seed-commands.sh), so a clone alone can check them.
func acceptanceScript(t *testing.T) string {
	return filepath.Join(testutil.RepoRoot(), "scripts", "seed-commands.sh")
}

// sharedScript is ../shared/acceptance/seed-commands.sh beside the clone,
// when there is one.
func sharedScript() string {
	for _, p := range []string{
		filepath.Join(testutil.RepoRoot(), "..", "shared", "acceptance", "seed-commands.sh"),
		"/work/shared/acceptance/seed-commands.sh",
	} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return ""
}

// The in-repository copy runs the same commands as the shared script: its
// body (everything after the first comment block) is the same text.
func TestSeedScriptMatchesShared(t *testing.T) {
	shared := sharedScript()
	if shared == "" {
		t.Skip("SKIP shared/acceptance/seed-commands.sh not beside the clone: nothing to compare with")
	}
	body := func(p string) string {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		s := string(b)
		return s[strings.Index(s, "\nset -u\n"):]
	}
	if body(shared) != body(acceptanceScript(t)) {
		t.Fatal("scripts/seed-commands.sh has drifted from the shared acceptance script: copy it again")
	}
}

// TestSeedCommands runs the seed's random-mode commands exactly as the
// acceptance script writes them (`$WASMER run --volume ...`), with each
// runtime standing in for `wasmer`: wazero-run, the SDK's run.mjs and the
// real CLI.
func TestSeedCommands(t *testing.T) {
	script := acceptanceScript(t)
	for _, rt := range runtimes {
		t.Run(rt.name, func(t *testing.T) {
			needRunner(t, rt.name, rt.requiredCI)
			var wasmer string
			switch rt.name {
			case "wazero":
				wasmer = buildTool(t, "./cmd/wazero-run", false)
			case "wasmer-sdk":
				wasmer = "node " + filepath.Join(runner.SDKDir(""), "run.mjs")
			case "wasmer":
				p, err := runner.FindWasmer("")
				if err != nil {
					t.Fatal(err)
				}
				wasmer = p
			}
			cmd := exec.Command("bash", script, "random-tmp", "random-data")
			cmd.Env = append(os.Environ(),
				"WASMER="+wasmer,
				"GUEST_NATIVE="+testutil.GuestNative(t),
				"GUEST_WASM="+testutil.GuestWasm(t),
				"NUMOPS=300", "TIMEOUT=300")
			start := time.Now()
			out, err := cmd.CombinedOutput()
			t.Logf("%s in %v:\n%s", rt.name, time.Since(start).Round(time.Millisecond), out)
			if err != nil || strings.Contains(string(out), "FAIL") {
				t.Fatalf("seed commands failed under %s: %v", rt.name, err)
			}
		})
	}
}
