package main

// OracleFlags are oracle mode's own flags.
type OracleFlags struct {
	Oracle            bool   `name:"oracle" help:"Oracle mode: run every command sequence of length -N."`
	OracleOutput      string `name:"oracle-output" help:"Write the transcript here."`
	OracleExpected    string `name:"oracle-expected" help:"Compare against this transcript while running."`
	OracleVerifyFiles bool   `name:"oracle-verify-files" help:"Compare NATIVE_REPORT and WASIX_REPORT and re-read the case files from the host."`
	OracleCatalog     bool   `name:"oracle-catalog" help:"Print the expanded catalog and exit."`
}

func runOracle(cli *CLI) error            { return usagef("oracle mode: not implemented yet") }
func runOracleVerifyFiles(cli *CLI) error { return usagef("oracle verify: not implemented yet") }
func printOracleCatalog(cli *CLI) error   { return usagef("oracle catalog: not implemented yet") }
