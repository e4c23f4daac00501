package sim

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
)

// Interactive reads script lines from in as they are typed. The clock follows real time
// (timers fire while you watch) and @advance/@time jump ahead. Bad lines are reported on
// errOut and skipped; the session goes on.
func (r *Runner) Interactive(ctx context.Context, in io.Reader, errOut io.Writer) error {
	if err := r.engine.Start(ctx); err != nil {
		return err
	}
	r.started = true
	r.moved = true // the clock follows real time: no going back
	lines := make(chan string)
	readErr := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(in)
		sc.Buffer(make([]byte, 0, 64*1024), maxLine+1)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			case <-ctx.Done():
				return
			}
		}
		readErr <- sc.Err()
	}()
	n := 0
	for {
		due, stop := r.engine.DueTimer()
		select {
		case <-ctx.Done():
			stop()
			r.Finish(context.WithoutCancel(ctx))
			return nil
		case err := <-readErr:
			stop()
			r.Finish(ctx)
			if err != nil && !errors.Is(err, io.EOF) {
				return fmt.Errorf("read input: %w", err)
			}
			return nil
		case <-due:
			stop()
			r.engine.RunDue(ctx, r.clock.Now())
			r.engine.Outbox().DeliverDue(ctx)
			r.followUp(ctx)
		case line := <-lines:
			stop()
			n++
			s, err := ParseLine(n, line, r.loc)
			if err == nil {
				err = r.Step(ctx, s)
			}
			if err != nil {
				fmt.Fprintln(errOut, "✗", err)
			}
		}
	}
}

// Banner is printed when an interactive session starts.
const Banner = `qunbot 模拟器：像在群里一样输入，机器人的反应会显示出来（时间跟随真实时间）。
  @group 读书会          切换到某个群（没有就新建）
  +王五  /  -王五        王五入群 / 退群（+王五 by 李四：李四邀请）
  王五: 大家好           王五发言；类型消息：王五: [link] https://x.cn/a
  me: 警告 @王五 广告     群主（机器人所用的号）在群里发言
  > 状态                 群主在「文件传输助手」里发命令
  老张#2: 你好           另一位也叫「老张」的成员发言（#2 区分同名的人）
  @relogin               模拟微信重新登录：每位成员的 id 都换新的
  @friend 王五          王五是群主的好友（via: dm 的提醒私聊他）
  @advance 1小时        时间快进（30分钟、1小时、3天，或 90m、1h、3d）  |  Ctrl-D 结束
`
