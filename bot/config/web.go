package config

import "unicode"

// Web configures the owner's dashboard (bot run/sim --web ADDR).
type Web struct {
	// Token protects every page. Empty: a random token is made at each start and printed
	// with the dashboard's address. Set one (at least 16 characters) to keep bookmarks.
	Token string `yaml:"token"`
}

// MinWebToken is the shortest token accepted: shorter ones can be guessed.
const MinWebToken = 16

func validateWeb(w Web, at reporter) {
	if w.Token == "" {
		return
	}
	if n := len([]rune(w.Token)); n < MinWebToken {
		at("web.token", "令牌太短（%d 个字符），至少 %d 个；留空则每次启动自动生成 / token too short: at least %d characters, or leave it empty", n, MinWebToken, MinWebToken)
		return
	}
	for _, r := range w.Token {
		if r > unicode.MaxASCII || !unicode.IsPrint(r) || unicode.IsSpace(r) {
			at("web.token", "令牌只能包含英文字母、数字和符号，不能有空格 / token must be printable ASCII without spaces")
			return
		}
	}
	if bits := TokenBits(w.Token); bits < MinTokenBits {
		at("web.token", "令牌太好猜（估计只有 %.0f 位随机性，至少要 %d 位）：请用随机生成的，例如 `openssl rand -hex 16`，或留空让机器人每次启动自动生成 / token is too guessable (about %.0f bits, need %d): use a random one, e.g. `openssl rand -hex 16`, or leave it empty",
			bits, MinTokenBits, bits, MinTokenBits)
	}
}
