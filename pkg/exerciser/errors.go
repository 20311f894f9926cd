package exerciser

import (
	"errors"
	"fmt"
)

// Exit codes. The failure codes follow xfstests ltp/fsx.c's report_failure
// numbering so that habits (and scripts) built around fsx keep working; the
// few that fsx.c lacks are marked "ours". docs/exit-codes.md is the table
// users read.
const (
	ExitOK       = 0
	ExitInternal = 1 // a bug in fsx-wasix itself
	ExitUsage    = 2 // bad flags, bad config (fsx.c uses 90 for usage)

	ExitFinalClose  = 99  // close at the end of the run failed
	ExitOpenFile    = 91  // cannot create or open the test file (or its directory)
	ExitArtifactDir = 92  // cannot create the artifact directory (-P)
	ExitMiscompare  = 110 // data read back differs from the model
	ExitSize        = 120 // size by fstat or by seek-to-end differs from the model
	ExitTruncExtend = 130 // ftruncate does not extend the file (start-up check)
	ExitReadSeek    = 140 // read: seek failed
	ExitRead        = 141 // read: error or short read (also full-file compares)
	ExitWriteSeek   = 150 // write: seek failed
	ExitWrite       = 151 // write: error or short write
	ExitFsync       = 152 // fsync failed
	ExitFdatasync   = 153 // fdatasync failed (ours: fsx.c has no fdatasync op)
	ExitTruncate    = 160 // ftruncate failed
	ExitCloseOpen   = 180 // close_open: close failed
	ExitReopen      = 181 // close_open: reopen failed
	ExitMapRead     = 190 // mapread (pread here): error or short read
	ExitMapWrite    = 202 // mapwrite (pwrite here): error or short write
)

// UsageError is a problem with the config or the options: exit code 2.
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

func usagef(format string, a ...any) error { return &UsageError{fmt.Errorf(format, a...)} }

// SetupError is an environment problem found before the first op (the file or
// the artifact directory cannot be created); Code is fsx.c's exit code for it.
type SetupError struct {
	Code int
	Err  error
}

func (e *SetupError) Error() string { return e.Err.Error() }
func (e *SetupError) Unwrap() error { return e.Err }

// ExitCode maps an error returned by Run, ParseConfig or LoadConfig to the
// process exit code: 2 for usage, the SetupError's code, else 1.
func ExitCode(err error) int {
	var ue *UsageError
	var se *SetupError
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &ue):
		return ExitUsage
	case errors.As(err, &se):
		return se.Code
	default:
		return ExitInternal
	}
}
