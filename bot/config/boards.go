package config

// Boards sets how many members a board names (`boards:` under defaults or a group). The
// weekly star's size is weekly_top.top.
type Boards struct {
	Points int `yaml:"points"` // 排行榜 / 积分榜: top N by points
	Active int `yaml:"active"` // 发言榜: top N by this week's valid messages
	Invite int `yaml:"invite"` // 邀请榜: top N by invites
}

// maxBoard bounds a board: every line is a line of a group message, and a wall of names
// helps nobody.
const maxBoard = 50

func defaultBoards() Boards { return Boards{Points: 10, Active: 10, Invite: 10} }

func validateBoards(b Boards, path string, at reporter) {
	if b.Points < 1 || b.Points > maxBoard {
		at(path+".boards.points", "应在 1 到 %d 之间，现在是 %d / must be between 1 and %d", maxBoard, b.Points, maxBoard)
	}
	if b.Invite < 1 || b.Invite > maxBoard {
		at(path+".boards.invite", "应在 1 到 %d 之间，现在是 %d / must be between 1 and %d", maxBoard, b.Invite, maxBoard)
	}
	if b.Active < 1 || b.Active > maxBoard {
		at(path+".boards.active", "应在 1 到 %d 之间，现在是 %d / must be between 1 and %d", maxBoard, b.Active, maxBoard)
	}
}
