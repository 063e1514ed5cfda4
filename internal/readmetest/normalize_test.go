package readmetest

import "testing"

func TestNormalize(t *testing.T) {
	local := &Local{Addr: "127.0.0.1:41234", User: "runner", Host: "fv-az12"}
	for _, tc := range []struct {
		name, printed, readme string
	}{
		{"address, user, host, id",
			"checked out cad_pro 2.0 from 127.0.0.1:41234 for runner@fv-az12 (checkout 0c9fddc9b7a5fc05f52ceb859ec7a97e)",
			"checked out cad_pro 2.0 from 127.0.0.1:6200 for ann@ws1 (checkout d488b8832f5da1e02446decd920bc799)"},
		{"table columns move", "solver   3.1      runner  fv-az12  2026-12-06T11:09:02Z  2ecb6581885146ac6eae00fcf9291f20",
			"solver   3.1      ann   ws1   2026-12-04T01:18:32+01:00  d488b8832f5da1e02446decd920bc799"},
		{"key", "tmFssLFFFgkgr5BsEm3JQ+Ufb9aJMxlE26FTpv1GloA=", "PgdZrKs/UAwQOgf+EU5+mZCFo71a0C3Tywk2X4bv3nA="},
		{"other ports, pids, fractional durations", "node 127.0.0.1:39001 (pid 24733) took 453.2ms",
			"node 127.0.0.1:41001 (pid 1) took 1.5s"},
		{"a word that contains the user is kept", "runners runner", "runners ann"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got, want := Normalize(tc.printed, local), Normalize(tc.readme, nil); got != want {
				t.Errorf("printed %q\n  normalized %q\nREADME %q\n  normalized %q", tc.printed, got, tc.readme, want)
			}
		})
	}
	// Kept: whole durations (what the reader asked for), dates, versions.
	for _, kept := range []string{"holding for 2s", "EXPIRES 2030-12-31", "solver 3.1", "127.0.0.1:6200"} {
		if got := Normalize(kept, local); got != kept {
			t.Errorf("Normalize(%q) = %q, want it kept", kept, got)
		}
	}
}

func TestDiff(t *testing.T) {
	got := Diff([]string{"a", "b", "c"}, []string{"a", "x", "c", "d"})
	want := "  a\n+ x\n- b\n  c\n+ d\n"
	if got != want {
		t.Errorf("Diff:\n%s\nwant\n%s", got, want)
	}
}
