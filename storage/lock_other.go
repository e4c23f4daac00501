//go:build !unix

package storage

import (
	"errors"
	"os"
)

// Elsewhere the lock file is written but not locked: one writer is the operator's to keep.
var errWouldBlock = errors.New("would block")

func flock(*os.File) error { return nil }
