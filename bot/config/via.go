package config

// How a reminder reaches a member (silent.remind.via, silent.benefit.via, screening.via):
// in the group with an @ (the default), or as a private message where the platform can
// reach them privately (the owner's friends) — anyone it cannot reach gets the group @.
const (
	ViaGroup = "group"
	ViaDM    = "dm"
)

func validateVia(via, path string, at reporter) {
	switch via {
	case "", ViaGroup, ViaDM:
	default:
		at(path, "应为 group（群里 @）或 dm（私聊好友，私聊不到的仍在群里 @），现在是「%s」/ must be group or dm", clip(via, 20))
	}
}

// ByDM reports whether via asks for private messages.
func ByDM(via string) bool { return via == ViaDM }
