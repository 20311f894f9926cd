package main

// ServerFlags are server mode's own flags.
type ServerFlags struct {
	Server bool `name:"server" help:"Serve HTTP on PORT (the positional argument; default $PORT, else 8080)."`
}

func runServer(cli *CLI) error { return usagef("server mode: not implemented yet") }
