package storage

// Outbox kinds for actions on members, queued like sends so that they are paced, retried
// and durable with the decision that caused them. Only queued where the platform can do
// them in the group (the engine asks first).
const (
	// OutMute mutes a member on the platform: Target is the member key, Text the duration
	// in seconds as a decimal ("0" lifts a mute).
	OutMute = "mute"
	// OutRecall recalls a member's message: Target is the member key, Text the platform's
	// message id.
	OutRecall = "recall"
)
