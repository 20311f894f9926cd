//go:build !wasip1

package oracle

import (
	"strconv"
	"syscall"
)

// Natively the executor names files by path: an allocation per call is no
// matter where the collector runs (compare fs_wasip1.go).
type laneFS struct{}

func (l *lane) fsInit() error { return nil }
func (l *lane) fsClose()      {}

func (l *lane) fsCase(index int64) error {
	l.paths[2] = l.tmpPfx + strconv.FormatInt(index, 10)
	return nil
}

func (l *lane) open(f int, flags int) (int, error) {
	for {
		fd, err := syscall.Open(l.paths[f], flags, 0o644)
		if err != syscall.EINTR {
			return fd, err
		}
	}
}

func (l *lane) stat(f int) (int64, error) {
	var st syscall.Stat_t
	if err := syscall.Stat(l.paths[f], &st); err != nil {
		return 0, err
	}
	return st.Size, nil
}

func (l *lane) unlink(f int) error { return unlinkRetry(l.paths[f]) }
