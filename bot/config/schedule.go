package config

// Post is one scheduled post.
type Post struct{}

// Silent configures the wake-up steps for silent members.
type Silent struct{}

// Screening configures entry screening (入群验证).
type Screening struct{}

// Reports configures the daily and weekly reports to the owner.
type Reports struct{}

func defaultPosts() []Post        { return nil }
func defaultSilent() Silent       { return Silent{} }
func defaultScreening() Screening { return Screening{} }
func defaultReports() Reports     { return Reports{} }

func validateSchedule(g *Group, path string, at reporter) {}
