package wire

import "encoding/json"

// AppendString appends s as a JSON string, byte for byte what encoding/json
// writes: itself, quoted, when no byte of it needs escaping (printable ASCII
// but for the quote, the backslash and the HTML characters <, >, &), else
// through encoding/json. The hand-written encoders of hot replies and of the
// stored audit trail use it.
func AppendString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s) // a string always encodes
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}
