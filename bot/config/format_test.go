package config

import (
	"testing"
	"time"
)

func TestFormatDurationKeepsTrailingZeroDigits(t *testing.T) {
	for d, want := range map[time.Duration]string{
		30 * time.Second:              "30s",
		10 * time.Second:              "10s",
		time.Minute:                   "1m",
		90 * time.Second:              "1m30s",
		20 * time.Minute:              "20m",
		time.Hour + 30*time.Second:    "1h0m30s",
		time.Hour + 10*time.Minute:    "1h10m",
		25 * time.Hour:                "1d1h",
		48*time.Hour + 40*time.Second: "2d40s",
		1500 * time.Millisecond:       "1.5s",
		0:                             "0s",
	} {
		if got := FormatDuration(d); got != want {
			t.Errorf("FormatDuration(%v) = %q, want %q", d, got, want)
		}
		// What it prints must read back as the same duration.
		if back, err := ParseDuration(FormatDuration(d)); err != nil || back != d {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", FormatDuration(d), back, err, d)
		}
	}
}
