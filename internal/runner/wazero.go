package runner

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/fsx-wasix/fsx-wasix/internal/faultfs"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"
	"github.com/tetratelabs/wazero/experimental/sock"
	"github.com/tetratelabs/wazero/experimental/sysfs"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"
	"github.com/tetratelabs/wazero/sys"
)

// WazeroVersion is the wazero this module requires (go.mod; a test keeps
// the two equal). A constant, because a test binary's build information
// does not list its dependencies.
const WazeroVersion = "1.12.0"

// WasixModule is the import module of the WASIX functions the wazero
// runner stands in for.
const WasixModule = "wasix_32v1"

// stopGrace is how long Run waits, after a timeout, for the guest to reach
// a host call where it can be stopped.
const stopGrace = 5 * time.Second

// errnoNosys is WASI's ENOSYS: what every WASIX stand-in but
// thread_parallelism answers, so the guest takes its fallback path.
const errnoNosys = 52

// Wazero runs guests in-process under wazero. One value may run many
// guests concurrently; each distinct module is compiled once per process
// (and cached on disk across processes).
type Wazero struct {
	mu      sync.Mutex
	modules map[string]*wazeroModule // by path, size and mtime
	cache   wazero.CompilationCache
}

type wazeroModule struct {
	once     sync.Once
	rt       wazero.Runtime
	compiled wazero.CompiledModule
	err      error
}

// NewWazero returns the embedded wazero runner.
func NewWazero() *Wazero { return &Wazero{modules: map[string]*wazeroModule{}} }

// Name implements Runner.
func (*Wazero) Name() string { return "wazero" }

// Available implements Runner: wazero is compiled in.
func (*Wazero) Available() error { return nil }

// HostBacked implements Runner: volumes are real mounts.
func (*Wazero) HostBacked() bool { return true }

// CacheDir is where compiled modules are kept between processes.
func CacheDir() string {
	d, err := os.UserCacheDir()
	if err != nil {
		d = os.TempDir()
	}
	return filepath.Join(d, "fsx-wasix", "wazero")
}

func (w *Wazero) module(ctx context.Context, path string) (*wazeroModule, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	key := fmt.Sprintf("%s|%d|%d", path, st.Size(), st.ModTime().UnixNano())
	w.mu.Lock()
	if w.cache == nil {
		// A cache we cannot create only costs time: fall back to memory.
		if w.cache, err = wazero.NewCompilationCacheWithDir(CacheDir()); err != nil {
			w.cache = wazero.NewCompilationCache()
		}
	}
	m := w.modules[key]
	if m == nil {
		m = &wazeroModule{}
		w.modules[key] = m
	}
	cache := w.cache
	w.mu.Unlock()
	m.once.Do(func() { m.err = m.load(context.WithoutCancel(ctx), path, cache) })
	return m, m.err
}

// load compiles the module in its own runtime and instantiates the host
// modules it imports. The runtime lives as long as the process, so later
// runs only instantiate.
func (m *wazeroModule) load(ctx context.Context, path string, cache wazero.CompilationCache) error {
	bin, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	// Not WithCloseOnContextDone: its checks in every loop made the bare
	// pwrite/pread loop 20x slower (983 vs 22,710 pairs/s). Timeouts stop
	// the guest at its next host call instead (interruptListener).
	m.rt = wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfig().WithCompilationCache(cache))
	if m.compiled, err = m.rt.CompileModule(ctx, bin); err != nil {
		return fmt.Errorf("compiling %s: %w", path, err)
	}
	ctx = experimental.WithFunctionListenerFactory(ctx, interruptListener{})
	if _, err = wasi_snapshot_preview1.Instantiate(ctx, m.rt); err != nil {
		return err
	}
	return instantiateWasix(ctx, m.rt, m.compiled)
}

// interruptListener ends a guest whose context is done at its next host
// call (every WASI and WASIX function): the exit error it panics with is
// what wazero returns from the guest's _start.
type interruptListener struct{}

func (interruptListener) NewFunctionListener(api.FunctionDefinition) experimental.FunctionListener {
	return interruptListener{}
}

func (interruptListener) Before(ctx context.Context, _ api.Module, _ api.FunctionDefinition, _ []uint64, _ experimental.StackIterator) {
	switch ctx.Err() {
	case nil:
	case context.DeadlineExceeded:
		panic(sys.NewExitError(sys.ExitCodeDeadlineExceeded))
	default:
		panic(sys.NewExitError(sys.ExitCodeContextCanceled))
	}
}

func (interruptListener) After(context.Context, api.Module, api.FunctionDefinition, []uint64) {}

func (interruptListener) Abort(context.Context, api.Module, api.FunctionDefinition, error) {}

// instantiateWasix defines every wasix_32v1 function the module imports,
// with the signature it declares, so instantiation never fails on a WASIX
// import wazero lacks. Only thread_parallelism does something.
func instantiateWasix(ctx context.Context, rt wazero.Runtime, c wazero.CompiledModule) error {
	b := rt.NewHostModuleBuilder(WasixModule)
	n := 0
	for _, def := range c.ImportedFunctions() {
		mod, name, _ := def.Import()
		if mod != WasixModule {
			continue
		}
		n++
		results := def.ResultTypes()
		var fn api.GoModuleFunc
		switch {
		case name == "thread_parallelism" && len(def.ParamTypes()) == 1:
			fn = func(_ context.Context, m api.Module, stack []uint64) {
				ok := m.Memory().WriteUint32Le(api.DecodeU32(stack[0]), uint32(runtime.NumCPU()))
				stack[0] = 0
				if !ok {
					stack[0] = 21 // EFAULT
				}
			}
		case len(results) == 1:
			fn = func(_ context.Context, _ api.Module, stack []uint64) { stack[0] = errnoNosys }
		default:
			fn = func(context.Context, api.Module, []uint64) {}
		}
		b.NewFunctionBuilder().WithGoModuleFunction(fn, def.ParamTypes(), results).Export(name)
	}
	if n == 0 {
		return nil
	}
	_, err := b.Instantiate(ctx)
	return err
}

// Run implements Runner.
func (w *Wazero) Run(ctx context.Context, s Spec) (int, error) {
	wasm := hostPath(s.Dir, s.Wasm)
	m, err := w.module(ctx, wasm)
	if err != nil {
		return 0, err
	}
	// The guest's private directories: an empty read-only "/" mounted
	// first, so the guest's cwd is "/" and "/" exists, as under Wasmer (Go's
	// wasip1 runtime takes the first preopen as its cwd), and a /tmp.
	scratch, err := os.MkdirTemp("", "fsx-wasix-wazero-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(scratch)
	root, tmp := filepath.Join(scratch, "root"), filepath.Join(scratch, "tmp")
	if err := errors.Join(os.Mkdir(root, 0o755), os.Mkdir(tmp, 0o755)); err != nil {
		return 0, err
	}
	var fault *faultfs.Fault
	if s.Fault != "" {
		if fault, err = faultfs.Parse(s.Fault); err != nil {
			return 0, err
		}
		defer func() { fmt.Fprintln(orDiscard(s.Stderr), "wazero:", fault.Report()) }()
	}
	fsc := wazero.NewFSConfig().WithReadOnlyDirMount(root, "/")
	hasTmp := false
	faulted := false
	for _, v := range s.Volumes {
		host := hostPath(s.Dir, v.Host)
		if st, err := os.Stat(host); err != nil || !st.IsDir() {
			return 0, fmt.Errorf("--volume %s: host path is not a directory", v)
		}
		if fault != nil && fault.Applies(v.Guest) {
			// The same mount WithDirMount makes, with its files broken.
			fsc = fsc.(sysfs.FSConfig).WithSysFSMount(faultfs.Wrap(sysfs.DirFS(host), fault), v.Guest)
			faulted = true
		} else {
			fsc = fsc.WithDirMount(host, v.Guest)
		}
		hasTmp = hasTmp || filepath.Clean(v.Guest) == "/tmp"
	}
	if !hasTmp {
		fsc = fsc.WithDirMount(tmp, "/tmp") // Wasmer guests always have a /tmp
	}
	if fault != nil && !faulted {
		return 0, fmt.Errorf("fault %s: no --volume is mounted at %s", fault, fault.Guest)
	}
	if s.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s.Timeout)
		defer cancel()
	}
	cfg := wazero.NewModuleConfig().
		WithName(""). // anonymous, so one runtime runs many instances at once
		WithArgs(append([]string{filepath.Base(s.Wasm)}, s.Args...)...).
		WithFSConfig(fsc).
		WithStdout(orDiscard(s.Stdout)).
		WithStderr(orDiscard(s.Stderr)).
		WithSysWalltime().WithSysNanotime().
		WithNanosleep(func(ns int64) { // real sleeps that a timeout cuts short
			t := time.NewTimer(time.Duration(ns))
			defer t.Stop()
			select {
			case <-t.C:
			case <-ctx.Done():
			}
		}).
		WithRandSource(rand.Reader)
	for _, e := range s.Env {
		k, v, ok := strings.Cut(e, "=")
		if !ok {
			return 0, fmt.Errorf("--env %q: want K=V", e)
		}
		cfg = cfg.WithEnv(k, v)
	}
	if s.Net {
		listen := s.Listen
		if listen == "" {
			if p := serverPort(s.Args); p != "" {
				listen = "127.0.0.1:" + p
			}
		}
		if listen != "" {
			host, port, err := net.SplitHostPort(listen)
			if err != nil {
				return 0, fmt.Errorf("listen %q: %w", listen, err)
			}
			pn, err := strconv.Atoi(port)
			if err != nil {
				return 0, fmt.Errorf("listen %q: bad port", listen)
			}
			ctx = sock.WithConfig(ctx, sock.NewConfig().WithTCPListener(host, pn))
		}
	}
	type result struct {
		mod api.Module
		err error
	}
	done := make(chan result, 1)
	go func() {
		mod, err := m.rt.InstantiateModule(ctx, m.compiled, cfg)
		done <- result{mod, err}
	}()
	var r result
	select {
	case r = <-done:
	case <-ctx.Done():
		// A guest that makes no host call cannot be interrupted; give it a
		// moment to reach one, then stop waiting for it.
		select {
		case r = <-done:
		case <-time.After(stopGrace):
			return 0, fmt.Errorf("wazero: %w; the guest made no host call within %v to be stopped at and is abandoned, still running", ErrTimeout, stopGrace)
		}
	}
	mod, err := r.mod, r.err
	if mod != nil {
		defer mod.Close(context.WithoutCancel(ctx))
	}
	var ee *sys.ExitError
	switch {
	case err == nil:
		return 0, nil
	case errors.As(err, &ee) && ee.ExitCode() == sys.ExitCodeDeadlineExceeded:
		return 0, fmt.Errorf("wazero: %w after %v", ErrTimeout, s.Timeout)
	case errors.As(err, &ee) && ee.ExitCode() == sys.ExitCodeContextCanceled:
		return 0, fmt.Errorf("wazero: %w", context.Canceled)
	case errors.As(err, &ee):
		return int(ee.ExitCode()), nil
	default:
		return 0, fmt.Errorf("wazero: %w", err)
	}
}

// serverPort returns PORT from the guest's `--server PORT` (or
// `--server` ... PORT as the sole positional argument), else "".
func serverPort(args []string) string {
	for i, a := range args {
		if a == "--server" && i+1 < len(args) {
			if _, err := strconv.Atoi(args[i+1]); err == nil {
				return args[i+1]
			}
		}
	}
	return ""
}

func hostPath(dir, p string) string {
	if dir == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(dir, p)
}
