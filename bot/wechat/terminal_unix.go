//go:build unix

package wechat

import (
	"os/signal"
	"syscall"
)

// ignoreBackgroundRead makes a read of the terminal from a background job fail (EIO)
// instead of stopping the process.
func ignoreBackgroundRead() { signal.Ignore(syscall.SIGTTIN) }
