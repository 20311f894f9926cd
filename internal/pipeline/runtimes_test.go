package pipeline

import (
	"errors"
	"os"
	"strings"
	"testing"
)

type fakeMachine struct {
	onPath    map[string]string
	installed []string
	files     map[string]bool
}

func (m fakeMachine) probe(flag string) Probe {
	return Probe{
		LookPath: func(name string) (string, error) {
			if p, ok := m.onPath[name]; ok {
				return p, nil
			}
			return "", errors.New("not found")
		},
		Glob: func(string) ([]string, error) { return m.installed, nil },
		Stat: func(p string) (os.FileInfo, error) {
			if m.files[p] {
				return nil, nil
			}
			return nil, os.ErrNotExist
		},
		WasmerFlag: flag,
		SDKDir:     "/src/runners/wasmer-sdk",
	}
}

const sdkMarker = "/src/runners/wasmer-sdk/node_modules/@wasmer/sdk"

func TestChooseAuto(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		m    fakeMachine
		flag string
		want string
		why  string
	}{
		{"cli on PATH", fakeMachine{onPath: map[string]string{"wasmer": "/usr/bin/wasmer", "node": "/usr/bin/node"}, files: map[string]bool{sdkMarker: true}}, "", "wasmer", "found on PATH"},
		{"cli installed", fakeMachine{installed: []string{"/opt/fsx-wasix-tools/wasmer-7.4.2/bin/wasmer"}}, "", "wasmer", "install-wasmer.sh"},
		{"cli by flag", fakeMachine{files: map[string]bool{"/x/wasmer": true}}, "/x/wasmer", "wasmer", "--wasmer"},
		{"sdk", fakeMachine{onPath: map[string]string{"node": "/usr/bin/node"}, files: map[string]bool{sdkMarker: true}}, "", "wasmer-sdk", "no wasmer CLI"},
		{"node without modules", fakeMachine{onPath: map[string]string{"node": "/usr/bin/node"}}, "", "wazero", "npm ci"},
		{"nothing", fakeMachine{}, "", "wazero", "Node.js is not installed"},
	}
	for _, c := range cases {
		got, err := c.m.probe(c.flag).Choose([]string{"auto"})
		if err != nil || len(got) != 1 || got[0].Name != c.want || !strings.Contains(got[0].Why, c.why) {
			t.Errorf("%s: Choose(auto) = %+v, %v; want %s because %q", c.name, got, err, c.want, c.why)
		}
	}
}

func TestChooseExplicitMissing(t *testing.T) {
	t.Parallel()
	none := fakeMachine{}
	for name, want := range map[string]string{
		"wasmer":     "--wasmer PATH",
		"wasmer-sdk": "node not found",
	} {
		_, err := none.probe("").Choose([]string{name})
		if err == nil || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("Choose(%s) on a bare machine: %v; want one line naming %q", name, err, want)
		}
	}
	if _, err := none.probe("/nope/wasmer").Choose([]string{"wasmer"}); err == nil || !strings.Contains(err.Error(), "--wasmer /nope/wasmer") {
		t.Errorf("a --wasmer path that does not exist: %v", err)
	}
	got, err := none.probe("").Choose([]string{"wazero", "auto"})
	if err != nil || len(got) != 1 || got[0].Name != "wazero" {
		t.Errorf("wazero plus auto resolving to wazero should give one runtime: %+v %v", got, err)
	}
}

func TestParseRuntimes(t *testing.T) {
	t.Parallel()
	got, err := ParseRuntimes([]string{"wazero,wasmer-sdk", "wazero"})
	if err != nil || strings.Join(got, " ") != "wazero wasmer-sdk" {
		t.Fatalf("ParseRuntimes = %v, %v", got, err)
	}
	if got, _ := ParseRuntimes(nil); len(got) != 1 || got[0] != "auto" {
		t.Fatalf("default = %v", got)
	}
	if _, err := ParseRuntimes([]string{"wasmtime"}); err == nil || !strings.Contains(err.Error(), `unknown runtime "wasmtime"`) {
		t.Fatalf("unknown runtime: %v", err)
	}
}
