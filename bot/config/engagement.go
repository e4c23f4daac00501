package config

// Checkin configures daily check-in (签到).
type Checkin struct{}

// Points configures points for taking part.
type Points struct{}

// Redeem is the redemption catalogue (兑换).
type Redeem struct{}

// AutoReply is one keyword auto-reply (关键词回复).
type AutoReply struct{}

// WeeklyTop configures the weekly top-contributors post.
type WeeklyTop struct{}

func defaultCheckin() Checkin         { return Checkin{} }
func defaultPoints() Points           { return Points{} }
func defaultRedeem() Redeem           { return Redeem{} }
func defaultAutoReplies() []AutoReply { return nil }
func defaultWeeklyTop() WeeklyTop     { return WeeklyTop{} }

func validateEngagement(g *Group, path string, at reporter) {}
