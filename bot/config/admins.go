package config

import "slices"

// Admins in the file (`admins:` under defaults — every group — or under a group — that
// group too) are QQ numbers: only a platform's stable id may make someone an admin. A name
// never does, because anyone can take a name (ARCHITECTURE: Identity); on WeChat, which has
// no stable id, admins are made with 设为管理员 @某人 in the group, and the file's list
// is not used (bot check says so).
//
// They add to the admins the owner made in chat; a listed admin cannot be demoted by chat
// (取消管理员 says to edit the file): the file is the owner's standing word.

// ListedAdmin reports whether a member's platform id is listed for the group (g is the
// group's config from ForGroup) or for every group.
func (c *Config) ListedAdmin(g *Group, platformID string) bool {
	if platformID == "" {
		return false
	}
	return slices.Contains(c.Defaults.Admins, platformID) || (g != nil && slices.Contains(g.Admins, platformID))
}

// AdminWarnings are what bot check says about admins: the file's list is not used on a
// platform without stable ids.
func (c *Config) AdminWarnings() []string {
	if c.Platform == PlatformOneBot {
		return nil
	}
	listed := len(c.Defaults.Admins) > 0
	for _, g := range c.Groups {
		listed = listed || len(g.Admins) > 0
	}
	if !listed {
		return nil
	}
	return []string{"admins 写的是 QQ 号，只在 QQ（platform: onebot）上生效；微信没有不变的号，请在群里发「设为管理员 @某人」/ admins (QQ numbers) apply on QQ only; on WeChat use 设为管理员 @x"}
}

func validateAdmins(admins []string, path string, at reporter) {
	for i, a := range admins {
		ok := a != ""
		for _, r := range a {
			ok = ok && r >= '0' && r <= '9'
		}
		if !ok {
			at(path+".admins", "第 %d 项「%s」不是 QQ 号：管理员只能用不会变的 QQ 号指定（名字谁都能改成一样的）/ admins are QQ numbers, not names", i+1, clip(a, 20))
		}
	}
}
