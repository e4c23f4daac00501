package wechat

import (
	"fmt"
	"io"

	"github.com/mdp/qrterminal/v3"
)

// loginURL is what the login QR code encodes. openwechat only hands over the uuid
// (Bot.UUIDCallback); its GetQrcodeUrl is the address of a QR *image* instead.
func loginURL(uuid string) string { return "https://login.weixin.qq.com/l/" + uuid }

// qrImageURL opens the same QR code as an image in a browser — for an operator who is
// not at the terminal.
func qrImageURL(uuid string) string { return "https://login.weixin.qq.com/qrcode/" + uuid }

// drawQR writes the QR code for uuid with half-height block characters, which keeps it
// scannable in an 80×24 terminal.
func drawQR(w io.Writer, uuid string) {
	_, _ = fmt.Fprintf(w, "\n请用手机微信扫描下面的二维码登录（桌面版模式）。\n"+
		"如果二维码显示错乱，请在浏览器中打开：%s\n"+
		"Scan with WeChat on your phone to log in; if the code looks broken, open the link above.\n\n",
		qrImageURL(uuid))
	qrterminal.GenerateWithConfig(loginURL(uuid), qrterminal.Config{
		Level:          qrterminal.L,
		Writer:         w,
		HalfBlocks:     true,
		BlackChar:      qrterminal.BLACK_BLACK,
		WhiteBlackChar: qrterminal.WHITE_BLACK,
		WhiteChar:      qrterminal.WHITE_WHITE,
		BlackWhiteChar: qrterminal.BLACK_WHITE,
		QuietZone:      2,
	})
	_, _ = fmt.Fprintln(w)
}
