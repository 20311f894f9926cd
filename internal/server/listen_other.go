//go:build !wasip1

package server

import (
	"errors"
	"net"
)

// preopenedListener exists only under wasip1; natively net.Listen never
// lacks sockets.
func preopenedListener() (net.Listener, string, error) {
	return nil, "", errors.New("no pre-opened sockets outside WebAssembly")
}
