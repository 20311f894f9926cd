//go:build !wasip1

package wasix

import (
	"net"
	"net/netip"
	"strconv"
)

// ListenTCP4 is net.Listen natively; it returns the bound address like the
// WASIX version does.
func ListenTCP4(ip netip.Addr, port int) (net.Listener, netip.AddrPort, error) {
	ln, err := net.Listen("tcp4", net.JoinHostPort(ip.String(), strconv.Itoa(port)))
	if err != nil {
		return nil, netip.AddrPort{}, err
	}
	return ln, ln.Addr().(*net.TCPAddr).AddrPort(), nil
}
