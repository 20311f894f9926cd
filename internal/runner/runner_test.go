package runner

import (
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"
)

// The seed's command lines, as WasmerArgs must produce them.
func TestWasmerArgsMatchesSeedCommands(t *testing.T) {
	work := Volume{"/w", "/work"}
	data := Volume{"/w/wasmer-data", "/data"}
	wasm := "target/wasm32-wasmer-wasi/debug/fsx-wasix.wasm"
	tests := []struct {
		name string
		spec Spec
		want string
	}{
		{"random /tmp", Spec{Wasm: wasm, Volumes: []Volume{work},
			Args: strings.Fields("-f /work/fsx-10mb.toml -N 10000 -S 1 -j4 /tmp/fsxfile")},
			"run --volume /w:/work " + wasm + " -- -f /work/fsx-10mb.toml -N 10000 -S 1 -j4 /tmp/fsxfile"},
		{"random /data", Spec{Wasm: wasm, Volumes: []Volume{work, data},
			Args: strings.Fields("-f /work/fsx-10mb.toml -N 10000 -S 1 -j4 /data/fsxfile")},
			"run --volume /w:/work --volume /w/wasmer-data:/data " + wasm + " -- -f /work/fsx-10mb.toml -N 10000 -S 1 -j4 /data/fsxfile"},
		{"server", Spec{Wasm: wasm, Net: true, Volumes: []Volume{work, data}, Args: []string{"--server", "3020"}},
			"run --net --volume /w:/work --volume /w/wasmer-data:/data " + wasm + " -- --server 3020"},
		{"env", Spec{Wasm: "a.wasm", Env: []string{"GOGC=off"}},
			"run --env GOGC=off a.wasm --"},
	}
	for _, tt := range tests {
		if got := strings.Join(WasmerArgs(tt.spec), " "); got != tt.want {
			t.Errorf("%s:\n got %s\nwant %s", tt.name, got, tt.want)
		}
	}
}

func TestSDKArgsTimeout(t *testing.T) {
	got := SDKArgs(Spec{Wasm: "a.wasm", Timeout: 1500 * time.Millisecond, Args: []string{"x"}})
	want := []string{"run", "--timeout-ms", "1500", "a.wasm", "--", "x"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("SDKArgs = %q, want %q", got, want)
	}
}

func TestParseVolume(t *testing.T) {
	tests := []struct {
		in      string
		want    Volume
		wantErr bool
	}{
		{"/h:/g", Volume{"/h", "/g"}, false},
		{"/h/with:colon:/g", Volume{"/h/with:colon", "/g"}, false},
		{"/same", Volume{"/same", "/same"}, false},
		{"/h:rel", Volume{}, true},
		{":/g", Volume{}, true},
		{"", Volume{}, true},
	}
	for _, tt := range tests {
		got, err := ParseVolume(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("ParseVolume(%q) = %v, %v; want %v, err %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestRewriteArgs(t *testing.T) {
	vols := []Volume{{"/host/w", "/work"}, {"/host/d", "/data"}}
	in := []string{"-f", "/work/c.toml", "/data", "/data/x", "/database", "--out=/data/r.bin", "/tmp/x", "work"}
	want := []string{"-f", "/host/w/c.toml", "/host/d", "/host/d/x", "/database", "--out=/host/d/r.bin", "/tmp/x", "work"}
	got := rewriteArgs(in, vols, func(v Volume) string { return v.Host })
	if !reflect.DeepEqual(got, want) {
		t.Errorf("rewriteArgs:\n got %q\nwant %q", got, want)
	}
}

func TestNewUnknownListsNames(t *testing.T) {
	_, err := New("wasmtime", Options{})
	if err == nil || !strings.Contains(err.Error(), "wasmer-sdk") || !strings.Contains(err.Error(), "wazero") {
		t.Fatalf("New(wasmtime) error = %v; want one listing the valid names", err)
	}
	for _, n := range Names() {
		r, err := New(n, Options{})
		if err != nil || r.Name() != n {
			t.Errorf("New(%q) = %v, %v", n, r, err)
		}
	}
}

func TestFindWasmerExplicitMissing(t *testing.T) {
	_, err := FindWasmer("/nonexistent/wasmer")
	if err == nil || !strings.Contains(err.Error(), "install-wasmer.sh") {
		t.Fatalf("FindWasmer(missing) = %v; want a line naming scripts/install-wasmer.sh", err)
	}
}

// WazeroVersion names the wazero go.mod requires.
func TestWazeroVersionMatchesGoMod(t *testing.T) {
	_, file, _, _ := runtime.Caller(0)
	mod, err := os.ReadFile(filepath.Join(filepath.Dir(file), "..", "..", "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	if want := "github.com/tetratelabs/wazero v" + WazeroVersion; !strings.Contains(string(mod), want+"\n") {
		t.Errorf("go.mod does not require %q: update WazeroVersion and the known lists (known/)", want)
	}
}
