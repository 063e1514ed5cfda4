package licfile

import (
	"strconv"
	"strings"
)

// Format returns f as a FEATURE block in the layout of the README's
// template, KEY included, one field a line in fieldOrder, lists in quotes.
// Parse reads it back with the same Canonical form and KEY, so a feature
// block can travel on its own (in a grace or borrow token) and be verified
// with the vendor's key wherever it arrives.
func Format(f *Feature) []byte {
	var b strings.Builder
	b.WriteString("FEATURE " + f.Name + " {\n")
	put := func(field, value string) {
		if value != "" {
			b.WriteString("  " + field + " = " + value + "\n")
		}
	}
	list := func(l []string) string {
		if len(l) == 0 {
			return ""
		}
		return `"` + strings.Join(l, " ") + `"`
	}
	num := func(n int) string {
		if n == 0 {
			return ""
		}
		return strconv.Itoa(n)
	}
	put("VENDOR", f.Vendor)
	put("VERSION", f.Version)
	put("COUNT", num(f.Count))
	put("GRACE", num(f.Grace))
	put("BORROW", num(f.Borrow))
	put("HAL_SERVERS", list(f.HALServers))
	put("EXPIRE", f.Expire)
	put("START", f.Start)
	put("HOSTID", list(f.HostID))
	put("TOKEN_KEY", list(f.TokenKey))
	put("KEY", f.Key)
	b.WriteString("}\n")
	return []byte(b.String())
}
