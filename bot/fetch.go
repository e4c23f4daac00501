package bot

import "context"

// ImageFetcher is a platform that can download an image a member sent, by the handle the
// adapter put in Event.Image (OneBot: the image segment's url or file; the simulator: its
// script text). It reads at most maxBytes (more is an error wrapping qrscan.ErrTooLarge
// or saying so) and gives up when ctx ends. The moderation module's QR check calls it off
// the event loop.
type ImageFetcher interface {
	FetchImage(ctx context.Context, groupID, image string, maxBytes int64) ([]byte, error)
}

// Images is the platform's ImageFetcher, when it has one.
func (e *Engine) Images() (ImageFetcher, bool) {
	f, ok := e.platform.(ImageFetcher)
	return f, ok
}

// IsLive reports whether Run serves the loop (Submit queues work for it). The simulator
// drives the engine from its own goroutine and is not live: work meant for the background
// runs at once there, so a script's output does not depend on timing.
func (e *Engine) IsLive() bool { return e.live.Load() }
