// Package qunbot holds files embedded in the binary.
package qunbot

import _ "embed"

// ExampleConfig is config.example.yaml, the default configuration when no --config is given.
//
//go:embed config.example.yaml
var ExampleConfig []byte
