package fsop

// Result is what a backend answers for one op: an error kind, or success
// with a value (bytes moved, the new offset, a size). Data moved by reads
// and writes goes through the caller's buffer.
type Result struct {
	Err   Errno
	Value int64
}

// Backend applies ops: the real filesystem (by path natively, through
// directory descriptors under wasip1), or a model that knows what the
// answer must be. Running one program against two backends and comparing
// their results is how every mode judges.
//
// data is the op's buffer: a read fills data[:Size], a write sends it.
type Backend interface {
	Apply(op *Op, data []byte) Result
}

// Unimplemented answers ENOSYS to every op. Backends embed it and override
// what they support, so adding a kind to the vocabulary does not break them
// (wazero's experimental/sys.UnimplementedFS).
type Unimplemented struct{}

// Apply answers ENOSYS.
func (Unimplemented) Apply(*Op, []byte) Result { return Result{Err: ENOSYS} }
