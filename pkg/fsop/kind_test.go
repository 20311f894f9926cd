package fsop

import "testing"

// Kinds are named by number in nothing persistent, but by position in
// NumRandomKinds and in the oracle's catalog hash: new kinds are appended,
// never inserted.
func TestKindNumbersAreStable(t *testing.T) {
	t.Parallel()
	for k, want := range map[Kind]int{CloseOpen: 0, Fdatasync: 7, Open: 8, Delete: 15, Rename: 16, Snapshot: 22} {
		if int(k) != want {
			t.Errorf("%s is %d, was %d", k, k, want)
		}
	}
	for k := Kind(0); k < NumKinds; k++ {
		if got, ok := ParseKind(k.String()); !ok || got != k {
			t.Errorf("kind %d: name %q parses to %d, %v", k, k, got, ok)
		}
	}
}

func TestOpenFlagsRoundTrip(t *testing.T) {
	t.Parallel()
	for f := OpenFlags(0); f < 1<<7; f++ {
		if got, ok := ParseOpenFlags(f.String()); !ok || got != f {
			t.Errorf("%s parses to %s, %v", f, got, ok)
		}
	}
	if f, ok := ParseOpenFlags("RDONLY|DIRECTORY"); !ok || f != Directory {
		t.Errorf("RDONLY|DIRECTORY: %s, %v", f, ok)
	}
	if _, ok := ParseOpenFlags("RDWR|SYNC"); ok {
		t.Error("SYNC parsed")
	}
}
