package fsop

import "syscall"

// WASI has a capability errno that Linux lacks.
func init() { errnoMap[syscall.ENOTCAPABLE] = ENOTCAPABLE }
