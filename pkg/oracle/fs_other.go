//go:build !wasip1

package oracle

import (
	"strconv"
	"syscall"

	"github.com/fsx-wasix/fsx-wasix/internal/eintr"
)

// Natively the executor names files by path: an allocation per call is no
// matter where the collector runs (compare fs_wasip1.go).
type laneFS struct{}

func (fs *caseFS) fsInit() error { return nil }
func (fs *caseFS) fsClose()      {}

func (fs *caseFS) fsCase(index int64) error {
	fs.paths[2] = fs.tmpPfx + strconv.FormatInt(index, 10)
	return nil
}

func (fs *caseFS) open(f int, flags int) (int, error) {
	for {
		fd, err := syscall.Open(fs.paths[f], flags, 0o644)
		if err != syscall.EINTR {
			return fd, err
		}
	}
}

func (fs *caseFS) stat(f int) (int64, error) {
	var st syscall.Stat_t
	if err := syscall.Stat(fs.paths[f], &st); err != nil {
		return 0, err
	}
	return st.Size, nil
}

func (fs *caseFS) unlink(f int) error { return eintr.Unlink(fs.paths[f]) }
