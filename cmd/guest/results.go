package main

import (
	"github.com/fsx-wasix/fsx-wasix/pkg/exerciser"
	"github.com/fsx-wasix/fsx-wasix/pkg/guestapi"
)

// randomResult is random mode's --json result: the exerciser's outcome in
// the contract's types (pkg/guestapi).
func randomResult(res exerciser.Result) guestapi.RandomResult { return res.API() }
