package config

// Moderation configures the keyword filter, detectors and the penalty ladder.
type Moderation struct{}

func defaultModeration() Moderation { return Moderation{} }

func validateModeration(g *Group, path string, at reporter) {}
