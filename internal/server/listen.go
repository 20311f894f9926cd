package server

import (
	"errors"
	"fmt"
	"net"
	"net/netip"

	"github.com/fsx-wasix/fsx-wasix/internal/wasix"
)

// Listen opens the server's listening socket and returns it with the address
// to print. Natively that is net.Listen. Under WebAssembly Go's wasip1 port
// cannot open a socket, so it uses WASIX's sock_* calls (Wasmer); when the
// runtime has no WASIX sockets (wazero answers ENOSYS) it takes the listening
// socket the host pre-opened (wazero's experimental/sock), and then the host,
// not host and port, decides the address.
func Listen(host string, port int) (net.Listener, string, error) {
	if host == "localhost" {
		host = "127.0.0.1"
	}
	ip, err := netip.ParseAddr(host)
	if err != nil || !ip.Is4() {
		return nil, "", fmt.Errorf("listen address %q: want an IPv4 address such as 127.0.0.1 or 0.0.0.0", host)
	}
	ln, addr, err := wasix.ListenTCP4(ip, port)
	if err == nil {
		return ln, addr.String(), nil
	}
	if !errors.Is(err, wasix.ErrNoSockets) {
		return nil, "", err
	}
	ln, where, perr := preopenedListener()
	if perr != nil {
		return nil, "", fmt.Errorf("%v, and %v", err, perr)
	}
	return ln, where, nil
}
