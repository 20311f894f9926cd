package pipeline

import (
	"errors"
	"strings"
	"testing"
)

type fakeMachine struct {
	wasmer string // path of a working CLI, "" when absent
	sdkErr error
}

func (m fakeMachine) probe(flag string) Probe {
	return Probe{
		FindWasmer: func(explicit string) (string, error) {
			if explicit != "" {
				if explicit == m.wasmer {
					return explicit, nil
				}
				return "", errors.New("wasmer at " + explicit + " does not run")
			}
			if m.wasmer == "" {
				return "", errors.New("wasmer CLI 7.4.2 not found: run scripts/install-wasmer.sh")
			}
			return m.wasmer, nil
		},
		SDK:        func() error { return m.sdkErr },
		WasmerFlag: flag,
	}
}

func TestChooseAuto(t *testing.T) {
	t.Parallel()
	noNode := errors.New("node not found: install Node 20")
	cases := []struct {
		name string
		m    fakeMachine
		flag string
		want string
		why  string
	}{
		{"cli found", fakeMachine{wasmer: "/opt/w/bin/wasmer"}, "", "wasmer", "found at /opt/w/bin/wasmer"},
		{"cli by flag", fakeMachine{wasmer: "/x/wasmer"}, "/x/wasmer", "wasmer", "--wasmer"},
		{"sdk", fakeMachine{}, "", "wasmer-sdk", "no wasmer CLI (runtime wasmer: wasmer CLI 7.4.2 not found"},
		{"nothing", fakeMachine{sdkErr: noNode}, "", "wazero", "node not found"},
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
	none := fakeMachine{sdkErr: errors.New("node not found: install Node 20")}
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
		t.Errorf("a --wasmer path that does not run: %v", err)
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
