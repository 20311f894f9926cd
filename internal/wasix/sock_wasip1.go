//go:build wasip1

package wasix

import (
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"os"
	"syscall"
	"unsafe"
)

// WASIX socket imports (wasix_32v1). Every parameter is an i32 and every
// result an errno; go:wasmimport only takes unsafe.Pointer for pointers.
//
//go:wasmimport wasix_32v1 sock_open
func sockOpen(af, socktype, proto uint32, fd unsafe.Pointer) uint32

//go:wasmimport wasix_32v1 sock_set_opt_flag
func sockSetOptFlag(fd, opt, flag uint32) uint32

//go:wasmimport wasix_32v1 sock_bind
func sockBind(fd uint32, addr unsafe.Pointer) uint32

//go:wasmimport wasix_32v1 sock_listen
func sockListen(fd, backlog uint32) uint32

//go:wasmimport wasix_32v1 sock_addr_local
func sockAddrLocal(fd uint32, addr unsafe.Pointer) uint32

// Constants of the WASIX ABI (lib/wasix in Wasmer).
const (
	afInet4        = 1
	sockStream     = 1
	protoTCP       = 6
	optReuseAddr   = 2
	errnoNOSYS     = 52 // WASI's ENOSYS: what wazero's stubs return
	addrBufLen     = 128
	addrPortOff    = 2 // port: 2 bytes after tag + pad
	addrIPv4Off    = 4 // IPv4 bytes at offsets 4..7
	defaultBacklog = 128
)

func errnoErr(call string, e uint32) error {
	if e == errnoNOSYS {
		return fmt.Errorf("%s: %w", call, ErrNoSockets)
	}
	return fmt.Errorf("%s: %w", call, syscall.Errno(e))
}

// ListenTCP4 opens a listening IPv4 TCP socket with WASIX calls and hands it
// to net/http as a net.Listener. It returns the address the runtime really
// bound (port 0 picks one), because ln.Addr() is empty on wasip1.
//
// The order matters and was found by trial under the Wasmer SDK (see
// docs/findings.md): the fd must become a net.Listener before
// sock_bind/sock_listen, because once it listens Wasmer reports its file type
// as unknown and net.FileListener fails with ENOTSOCK.
func ListenTCP4(ip netip.Addr, port int) (net.Listener, netip.AddrPort, error) {
	if !ip.Is4() {
		return nil, netip.AddrPort{}, fmt.Errorf("wasix: %v is not an IPv4 address", ip)
	}
	if port < 0 || port > 65535 {
		return nil, netip.AddrPort{}, fmt.Errorf("wasix: port %d out of range", port)
	}
	var fd uint32
	if e := sockOpen(afInet4, sockStream, protoTCP, unsafe.Pointer(&fd)); e != 0 {
		return nil, netip.AddrPort{}, errnoErr("sock_open", e)
	}
	fail := func(err error) (net.Listener, netip.AddrPort, error) {
		syscall.Close(int(fd))
		return nil, netip.AddrPort{}, err
	}
	// REUSE_ADDR so a restarted server can bind while old connections linger.
	if e := sockSetOptFlag(fd, optReuseAddr, 1); e != 0 {
		return fail(errnoErr("sock_set_opt_flag(REUSE_ADDR)", e))
	}
	// Go's netpoller needs a non-blocking fd: accept must return EAGAIN, not block
	// the only thread.
	if err := syscall.SetNonblock(int(fd), true); err != nil {
		return fail(fmt.Errorf("set non-blocking: %w", err))
	}
	f := os.NewFile(uintptr(fd), "wasix-tcp-listener")
	ln, err := net.FileListener(f)
	// FileListener shares the fd through a reference-counted copy, so closing
	// f only drops our reference.
	f.Close()
	if err != nil {
		return nil, netip.AddrPort{}, fmt.Errorf("net.FileListener: %w", err)
	}
	var addr [addrBufLen]byte
	addr[0] = afInet4
	// sock_bind reads the port little-endian (sock_addr_local writes it big-endian).
	binary.LittleEndian.PutUint16(addr[addrPortOff:], uint16(port))
	ip4 := ip.As4()
	copy(addr[addrIPv4Off:], ip4[:])
	if e := sockBind(fd, unsafe.Pointer(&addr[0])); e != 0 {
		ln.Close()
		return nil, netip.AddrPort{}, errnoErr("sock_bind", e)
	}
	if e := sockListen(fd, defaultBacklog); e != 0 {
		ln.Close()
		return nil, netip.AddrPort{}, errnoErr("sock_listen", e)
	}
	bound := netip.AddrPortFrom(ip, uint16(port))
	var got [addrBufLen]byte
	if e := sockAddrLocal(fd, unsafe.Pointer(&got[0])); e == 0 && got[0] == afInet4 {
		bound = netip.AddrPortFrom(netip.AddrFrom4([4]byte(got[addrIPv4Off:addrIPv4Off+4])),
			binary.BigEndian.Uint16(got[addrPortOff:]))
	}
	return ln, bound, nil
}
