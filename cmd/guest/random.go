package main

// RandomFlags are random mode's own flags (fsx's).
type RandomFlags struct {
	ConfigPath  string `short:"f" name:"config" help:"TOML config (flen, nosizechecks, [opsize], [weights])."`
	LogStart    int64  `short:"b" name:"log-start" default:"0" help:"Start logging at this op number."`
	Monitor     string `short:"m" name:"monitor" help:"Log every op touching byte range FROM:TO."`
	ArtifactDir string `short:"P" name:"artifact-dir" help:"Directory for failure artifacts (default: the file's directory)."`
	Inject      int64  `name:"inject" default:"0" help:"Op N is applied to the model but not the file: a deliberate failure, for self-tests."`
}

func runRandom(cli *CLI) error { return usagef("random mode: not implemented yet") }
