// Package readmetest checks that README.md says what the commands print:
// its test runs every ```console block of the README, in order, in one
// bash shell, with licgen, licd, licstat and licborrow built into a
// directory on the PATH, and compares what each `$ ` command prints
// (stdout and stderr, as a terminal would show them) with the lines below
// it in the block.
//
// # The shell
//
// The shell starts in an empty scratch directory holding `testdata`, a
// link to the repository's testdata, with HOME, TMPDIR and the user's
// config dir (where licborrow keeps its state) in the test's own temporary
// directory. It lives for the whole README, so a block sees the files,
// variables and current directory the blocks before it left, as a reader
// who follows the README in one terminal would. A line ending in `\`
// continues on the next line.
//
// # Annotations
//
// An HTML comment right before a block (blank lines between allowed) says
// how to run it; it does not show on the rendered page:
//
//	<!-- readme-test
//	server: demo
//	setup: licborrow borrow solver --hours 1 >/dev/null
//	cleanup: licborrow return solver >/dev/null
//	-->
//
// The keys:
//
//   - `server: demo` runs the block against a `licd demo` the test starts
//     on a free port (once, then shared by every block that asks for it).
//     In the block's commands, 127.0.0.1:6200 (the demo's usual address)
//     becomes the server's address, and `LIC_VENDOR_PUB=<key>` gets the
//     demo's vendor key. The shell also has READMETEST_ADDR and
//     READMETEST_DEMO_DIR (the demo's directory: admin.token, vendor.pub,
//     demo.lic), for setup lines.
//   - `setup: LINE` and `cleanup: LINE` (any number of each) are shell
//     lines run before and after the block, unseen by the reader; their
//     output is not compared, but a failing one fails the test.
//   - `skip: REASON` leaves the block unchecked; REASON is required. Keep
//     such blocks few: output that no test can reproduce (a TUI screen,
//     timings of a benchmark) belongs in a plain ``` block instead.
//
// # What the comparison forgives
//
// Only what differs from run to run, by these rules, applied to each
// output line in this order:
//
//  1. the demo server's address is written 127.0.0.1:6200, and the user
//     name and host name of the machine running the test (whole words)
//     are written ann and ws1, as in the README;
//  2. on both sides, then: 32-digit hex ids become <id>; Ed25519 keys in
//     base64 (43 characters and `=`) become <key>; RFC 3339 times become
//     <time>; other 127.0.0.1 ports become 127.0.0.1:<port>; `pid N`
//     becomes `pid <pid>`; durations with a fraction (1.5s, 12.3ms) become
//     <duration> (whole ones, such as --hold 2s, are kept: they are what
//     the reader asked for);
//  3. runs of two or more spaces become two spaces and trailing spaces go,
//     since columns move with the width of what rule 1 and 2 replaced.
//
// Dates alone (2030-12-31) are kept: they come from the license files.
package readmetest
