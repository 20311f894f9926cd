//go:build deps

// Package deps pins the project's chosen libraries in go.mod before every
// package uses them, so parallel work never races on go.mod. It is never built.
package deps

import (
	_ "github.com/klauspost/compress/zstd"
	_ "github.com/pelletier/go-toml/v2"
	_ "github.com/schollz/progressbar/v3"
	_ "github.com/tetratelabs/wazero"
	_ "github.com/vmihailenco/msgpack/v5"
)
