package rules

// The traditional → simplified table is generated from OpenCC's
// TSCharacters.txt. Fetch it with `cd /tmp && npm pack opencc && tar xzf opencc-*.tgz`
// (or set OPENCC_TS to another copy), then run `go generate ./rules`.
//go:generate go run ./internal/gen/opencc -out ts_table_gen.go
