package config

import (
	"strings"
	"testing"
)

func TestWebToken(t *testing.T) {
	for _, tc := range []struct {
		yaml string
		bad  string // part of the error; "" when valid
	}{
		{"", ""},
		{"web: {token: \"\"}\n", ""},
		{"web: {token: \"0123456789abcdef-x\"}\n", ""},
		{"web: {token: short}\n", "config.yaml:1: web.token: 令牌太短"},
		{"web: {token: \"0123456789abcdef 0123\"}\n", "不能有空格"},
		{"web: {token: \"0123456789abcdef令牌\"}\n", "printable ASCII"},
		{"web: {tokn: x}\n", "web.tokn"},
	} {
		cfg, err := Parse([]byte(tc.yaml), "config.yaml")
		switch {
		case tc.bad == "" && err != nil:
			t.Errorf("%q: %v", tc.yaml, err)
		case tc.bad != "" && (err == nil || !strings.Contains(err.Error(), tc.bad)):
			t.Errorf("%q: err %v, want %q", tc.yaml, err, tc.bad)
		case tc.bad == "" && strings.Contains(tc.yaml, "-x") && cfg.Web.Token != "0123456789abcdef-x":
			t.Errorf("token not read: %q", cfg.Web.Token)
		}
	}
}
