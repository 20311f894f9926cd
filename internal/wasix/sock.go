package wasix

import "errors"

// ErrNoSockets means the runtime does not implement WASIX sockets (its
// wasix_32v1 imports answer ENOSYS, as the wazero runner's stubs do). The
// caller may then look for a listening socket the host pre-opened.
var ErrNoSockets = errors.New("WASIX sockets not supported by this runtime")
