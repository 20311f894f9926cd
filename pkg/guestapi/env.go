package guestapi

// The environment variables the guest reads. Hosts pass them with
// `--env K=V` (runner.Spec.Env); natively they are the process's own.
const (
	// EnvRuntime names the runtime running the guest under wasip1 ("wazero",
	// "wasmer", "wasmer-sdk"); oracle reports record it in their header.
	// The orchestrator and the tests set it; unset, the report says
	// "unknown" (natively it always says "native").
	EnvRuntime = "FSX_RUNTIME"

	// EnvReplayCmd replaces the program part of random mode's replay line
	// (a wasip1 guest cannot see how its runtime was invoked, so by default
	// it names the `wasmer run` shape).
	EnvReplayCmd = "FSX_REPLAY_CMD"

	// EnvVolumeMap tells server mode where each volume really is when the
	// runtime cannot mount it at its guest path: FROM=TO pairs of absolute
	// paths, comma-separated (the Wasmer SDK runner, runners/wasmer-sdk/run.mjs,
	// sets /data=/workspace/data).
	EnvVolumeMap = "FSX_VOLUME_MAP"

	// EnvPort is server mode's port when no PORT argument is given.
	EnvPort = "PORT"

	// EnvNoColor, set to anything, turns random mode's colored verdicts off
	// (https://no-color.org).
	EnvNoColor = "NO_COLOR"

	// EnvGOGC is Go's own collector setting. Under wasip1 the guest turns
	// its automatic collector off unless GOGC is set (docs/findings.md: the
	// Wasmer poll_oneoff hang).
	EnvGOGC = "GOGC"
)

// Env is the "K=V" form of one variable, as runner.Spec.Env and
// exec.Cmd.Env take it.
func Env(name, value string) string { return name + "=" + value }
