// Package licfile reads, checks, signs and verifies floatlic license files.
//
// # Format
//
// A license file holds one or more FEATURE blocks, one field per line:
//
//	# comments start with '#', also at the end of a line
//	FEATURE cad_pro {
//	  VENDOR      = acme
//	  VERSION     = 2.0
//	  COUNT       = 5
//	  GRACE       = 48
//	  BORROW      = 72
//	  HAL_SERVERS = "lic1.example.com:6200 lic2.example.com:6200 lic3.example.com:6200"
//	  EXPIRE      = 2027-12-31
//	  KEY         = <base64 Ed25519 signature, written by licgen sign>
//	}
//
// The "{" may also stand alone on the line after FEATURE; "}" stands alone
// on its line. Values may be written in double quotes (lists usually are)
// and cannot contain a quote; a '#' inside quotes is no comment.
// Field names are upper-case and case-sensitive. Feature and vendor names
// are letters, digits, '_', '-' and '.'.
//
// Rules: VENDOR, VERSION ("major.minor", digits) and EXPIRE ("YYYY-MM-DD",
// meaning the end of that day UTC, or "permanent") are required. COUNT is
// 1..1000000 and makes a network license; without it the feature is
// uncounted (node-locked) and licd cannot serve it. GRACE (hours, 1..168),
// BORROW (hours, 1..8760) and HAL_SERVERS (exactly three distinct host:port,
// in role order #1 #2 #3) need COUNT. START is an optional date, not after
// EXPIRE. HOSTID is an optional list of host ids; with HAL_SERVERS it holds
// exactly three, one per server in the same order. TOKEN_KEY (needs COUNT)
// names the license server's token key: the base64 Ed25519 public key that
// `licd token-key` prints, whose signature on a grace or borrow token a
// client trusts offline. It holds one key, or with HAL_SERVERS one key the
// three nodes share or three keys, one per server in role order; keys are
// distinct, strict base64 of 32 bytes. Unknown fields, repeated
// fields and repeated feature names are errors, as are text outside blocks,
// unclosed blocks and a file with no block. Parse reports every problem in
// one ErrorList, each naming the file, line, feature and field; a file with
// any problem is not loaded at all.
//
// Numbers are plain decimal digits. A VERSION with leading zeros is
// accepted and normalised ("02.10" is "2.10"); "2" is invalid. Versions
// compare numerically: "2.10" is higher than "2.9".
//
// # Signatures
//
// KEY is an Ed25519 signature by the vendor's key over Canonical(feature):
// the feature's name and every other field, sorted and normalised. Layout,
// comments, quoting and the order of fields may change freely; any change
// of a value breaks the signature. Format writes one feature as a block of
// its own that verifies with the same key, which is how a license server
// proves to a client which token key the vendor named.
//
// # Key files
//
// WriteKeyPair writes two small text files. PREFIX.key (mode 0600) is the
// line "floatlic-ed25519-private-key" and a line with the base64 of the
// 32-byte Ed25519 seed; PREFIX.pub is the line "floatlic-ed25519-public-key"
// and a line with the base64 of the 32-byte public key. Blank lines and
// lines starting with '#' are ignored when reading.
package licfile
