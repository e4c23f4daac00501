package config

import "time"

// WelcomeData are the variables a welcome template can use.
//
//	{{.Mentions}}  "@王五 @赵六 " — mentions of every newcomer (use this to greet them)
//	{{.Names}}     "王五、赵六" — their names, without @
//	{{.Name}}      the first newcomer's name
//	{{.Count}}     members in the group now
//	{{.Group}}     the group's name
//	{{.Rules}}     the group rules (rules_text), empty when show_rules is off
//	{{.AskIntro}}  true when ask_intro is on
//	{{.Inviter}}   who invited them, when known
//	{{.Time}}      the local time, e.g. 08:00
type WelcomeData struct {
	Mentions string
	Names    string
	Name     string
	Count    int
	Group    string
	Rules    string
	AskIntro bool
	Inviter  string
	Time     string
}

// SampleWelcome is used to check a template before it goes live.
func SampleWelcome() WelcomeData {
	return WelcomeData{Mentions: "@王五\u2005", Names: "王五", Name: "王五", Count: 42, Group: "读书会",
		Rules: "1. 禁止广告", AskIntro: true, Inviter: "李四", Time: time.Date(2026, 1, 1, 8, 0, 0, 0, time.UTC).Format("15:04")}
}
