//go:build !unix

package wechat

func ignoreBackgroundRead() {}
