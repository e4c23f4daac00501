package onebot

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
)

// ID is a OneBot id (QQ number, group number, message id, echo) as the adapter keeps it:
// a decimal string. Implementations send ids as JSON numbers or as strings (some NapCat
// builds quote message ids); both are accepted, as is null (an absent id).
type ID string

// UnmarshalJSON accepts a number, a string or null.
func (id *ID) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0 || string(b) == "null":
		*id = ""
	case b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*id = ID(s)
	default:
		var n json.Number
		if err := json.Unmarshal(b, &n); err != nil {
			return fmt.Errorf("id must be a number or a string, got %.40s", b)
		}
		*id = ID(n.String())
	}
	return nil
}

// param is how an id goes back to the implementation: a JSON number where it is one (the
// spec's type for group_id, user_id, message_id), else the string it came as.
func (id ID) param() any {
	if _, err := strconv.ParseInt(string(id), 10, 64); err == nil {
		return json.Number(id)
	}
	return string(id)
}

// frame is one JSON object from the implementation: an API response (echo, status) or an
// event (post_type). Fields not used are not decoded.
type frame struct {
	// Response fields.
	Echo *json.RawMessage `json:"echo"`
	// Status is "ok"/"async"/"failed" in a response, and an object in a heartbeat event
	// (the implementation's status): kept raw, read by status().
	RawStatus json.RawMessage `json:"status"`
	RetCode   int64           `json:"retcode"`
	Data      json.RawMessage `json:"data"`
	Msg       string          `json:"msg"`
	Wording   string          `json:"wording"`

	// Event fields.
	Time          int64           `json:"time"`
	SelfID        ID              `json:"self_id"`
	PostType      string          `json:"post_type"`
	MessageType   string          `json:"message_type"`
	SubType       string          `json:"sub_type"`
	MessageID     ID              `json:"message_id"`
	GroupID       ID              `json:"group_id"`
	UserID        ID              `json:"user_id"`
	OperatorID    ID              `json:"operator_id"`
	Message       json.RawMessage `json:"message"`
	RawMessage    string          `json:"raw_message"`
	Sender        sender          `json:"sender"`
	NoticeType    string          `json:"notice_type"`
	Duration      int64           `json:"duration"`
	MetaEventType string          `json:"meta_event_type"`
	Interval      int64           `json:"interval"`
}

type sender struct {
	UserID   ID     `json:"user_id"`
	Nickname string `json:"nickname"`
	Card     string `json:"card"`
	Role     string `json:"role"`
}

// status is a response's status string ("" when absent or not a string).
func (f *frame) status() string {
	var s string
	if len(f.RawStatus) > 0 && f.RawStatus[0] == '"' {
		_ = json.Unmarshal(f.RawStatus, &s)
	}
	return s
}

// isResponse reports an API response: it carries our echo or a status.
func (f *frame) isResponse() bool { return f.PostType == "" && (f.Echo != nil || f.status() != "") }

// parseFrame decodes one text frame. A frame that is not a JSON object is an error that
// says so; the caller logs it and reads on.
func parseFrame(b []byte) (*frame, error) {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || b[0] != '{' {
		return nil, errors.New("frame is not a JSON object / 收到的数据不是 JSON 对象")
	}
	var f frame
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("malformed frame / 无法解析的数据: %w", err)
	}
	return &f, nil
}

// request is an API call: {action, params, echo}.
type request struct {
	Action string         `json:"action"`
	Params map[string]any `json:"params"`
	Echo   string         `json:"echo"`
}

// memberInfo is get_group_member_info's data (and each element of get_group_member_list).
type memberInfo struct {
	GroupID  ID     `json:"group_id"`
	UserID   ID     `json:"user_id"`
	Nickname string `json:"nickname"`
	Card     string `json:"card"`
	Role     string `json:"role"`
	// ShutUpTimestamp is when a mute ends (unix seconds). Not in the v11 spec, but NapCat
	// and go-cqhttp send it; where present it confirms a mute without waiting for the notice.
	ShutUpTimestamp *int64 `json:"shut_up_timestamp"`
}

// groupInfo is an element of get_group_list.
type groupInfo struct {
	GroupID     ID     `json:"group_id"`
	GroupName   string `json:"group_name"`
	MemberCount int    `json:"member_count"`
}

// loginInfo is get_login_info's data.
type loginInfo struct {
	UserID   ID     `json:"user_id"`
	Nickname string `json:"nickname"`
}
