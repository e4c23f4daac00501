module qunbot

go 1.26.8

require (
	github.com/eatmoreapple/openwechat v1.4.10 // indirect
	github.com/mattn/go-sqlite3 v1.14.52 // indirect
	github.com/mdp/qrterminal/v3 v3.2.1 // indirect
	github.com/robfig/cron/v3 v3.0.1 // indirect
	golang.org/x/sys v0.29.0 // indirect
	golang.org/x/term v0.13.0 // indirect
	gopkg.in/yaml.v3 v3.0.1 // indirect
	rsc.io/qr v0.2.0 // indirect
)
