//go:build !unix

package atomicfile

// syncDir does nothing where a directory cannot be synced portably: Windows
// cannot open a directory for writing, and under wasip1 runtimes disagree
// about fd_sync on a directory descriptor (a refusal there would fail a
// guest's report for nothing the guest can change).
func syncDir(string) error { return nil }
