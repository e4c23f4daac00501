// Package wechat is qunbot's WeChat adapter: a bot.Platform over the web (UOS desktop)
// protocol through github.com/eatmoreapple/openwechat, plus the login supervisor that
// keeps a session alive for months.
//
// # Wiring it into the CLI
//
//	events := make(chan bot.Event, 256)
//	wx := wechat.New(wechat.Options{
//		HotLoginFile: filepath.Join(dataDir, "wechat-session.json"), // 0600, holds cookies
//		QRWriter:     os.Stdout,                                     // the terminal: QR codes, breaker notices
//		Logger:       logger,
//		Notify:       engine.NotifyOwner, // Chinese text for the owner's file helper; must not block
//		Groups:       cfg.GroupNames(),   // polled for leaves and checked at every login
//		Location:     cfg.Location,       // times in the owner's notices
//	})
//	mods = append(mods, wx.Module())            // the console's 「重新登录」
//	go func() { errc <- wx.Run(ctx, events) }() // logs in, re-logs in, until ctx is done
//	go wx.WatchTerminal(ctx, os.Stdin)          // 「重新登录」 typed on the terminal
//	found, missing := wx.CheckGroups(ctx, cfg.GroupNames()) // waits for the first login
//	// engine: consume events, send through its outbox with wx as the bot.Platform,
//	// retrying errors for which wechat.IsRetryable(err) is true (longer after
//	// wechat.IsTooOften(err)).
//
// Run returns nil once ctx is done. Platform methods may be called at any time; while a
// login is in progress sends wait for it (a bounded while, then ErrNotLoggedIn, which is
// retryable); while the circuit breaker has stopped logging in (a refused or flagged
// account, see Run) they fail with ErrLoginPaused, which is not.
//
// # What WeChat's web protocol allows
//
// Capabilities are all false: no removal (openwechat's RemoveMembers does nothing on the
// web protocol), no mute, and DMs only to friends and to bot.Filehelper. RemoveMember
// returns bot.ErrNotSupported; so does SendDM to a member who is not a friend.
//
// # Identity
//
// Every id is valid for one login only: a member's UserName changes on every login and
// User.ID() changes with the avatar. MemberInfo therefore carries what the engine needs to
// re-link a member after a re-login — (group, Nickname, DisplayName, AttrStatus) — and
// IsFriend. Groups are keyed by name (GroupInfo.Name); GroupInfo.ID is the session
// UserName. SendText and Members accept a group's name too (after a restart the engine
// knows its groups only by name). A group id or friend id from one of the last few logins
// is still accepted by SendText/SendDM/Members and translated by name, when exactly one
// current group or friend matches. Members excludes the owner's own account. Every login
// uses the same device id, kept beside the session file.
//
// # Events
//
// Group messages become bot.EventMessage with the message kind (text, link, mini program,
// card, image, file, video, voice, emoji, red packet, transfer, system); Event.ID is
// WeChat's NewMsgId and Event.Time its CreateTime. The owner's own messages in a group
// carry FromOwner. Messages the owner sends to the file helper (文件传输助手) are the
// console: Console and FromOwner, no group — nothing else produces a console event, and
// the adapter's own sends (which WeChat syncs back) are dropped rather than echoed — by the
// id the send returned, else by text within seconds of the send.
// Joins are parsed from the system message in all its wordings (parseJoin) and resolved
// to members by refreshing the member list; leaves, which WeChat does not announce, and
// joins whose notice was missed come from diffing member lists (each watched group at
// most every 5 minutes, after joins and removals, and the first read of a login against
// the previous login's lists, by names). A rename (「修改群名为」, or a new name in a
// member list) is a bot.EventRename (Text: the old name), emitted in order so that no
// later event carries the old name. Replays after a hot login are dropped by NewMsgId and
// by age (older than the login). System messages in unknown forms are logged once per
// form, anonymised.
package wechat
