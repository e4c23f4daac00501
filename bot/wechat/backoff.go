package wechat

import "time"

// backoff is an exponential schedule with "equal jitter": attempt n waits a random time in
// [d/2, d] where d = base·2ⁿ capped at max. Half the delay is fixed so a flapping network
// never gets hammered; the random half keeps many bots (or many retries) from syncing up.
type backoff struct {
	base, max time.Duration
}

// delay returns the wait before retry number attempt (0-based). unit is a random number in
// [0, 1).
func (b backoff) delay(attempt int, unit float64) time.Duration {
	d := b.max
	if attempt < 40 { // beyond that the shift overflows; the cap applies long before
		if x := b.base << uint(attempt); x > 0 && x < b.max {
			d = x
		}
	}
	half := d / 2
	if unit < 0 || unit >= 1 {
		unit = 0
	}
	return half + time.Duration(unit*float64(d-half))
}
