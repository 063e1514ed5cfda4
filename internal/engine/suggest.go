package engine

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
)

// maxListed bounds the served features an unknown_feature message lists.
const maxListed = 20

// unknownFeature is the message for a feature this server does not serve:
// the served ones, and the closest name when one is near enough to be a
// typo, so that a user sees the fix without asking the admin.
func (e *Engine) unknownFeature(name string) string {
	served := make([]string, 0, len(*e.features.Load()))
	for n := range *e.features.Load() {
		served = append(served, n)
	}
	slices.Sort(served)
	msg := fmt.Sprintf("feature %q is not served here;", name)
	if near := closest(name, served); near != "" {
		msg += " did you mean " + near + "?"
	}
	switch {
	case len(served) == 0:
		return msg + " it serves no feature"
	case len(served) > maxListed:
		return fmt.Sprintf("%s served: %s and %d more", msg, strings.Join(served[:maxListed], ", "), len(served)-maxListed)
	}
	return msg + " served: " + strings.Join(served, ", ")
}

// closest returns the name nearest to s, when it is at most a third of s's
// length (and at least 1) edits away, ignoring case; "" if none is.
func closest(s string, names []string) string {
	best, bestD := "", max(1, len(s)/3)+1
	for _, n := range names {
		if d := editDistance(strings.ToLower(s), strings.ToLower(n)); d < bestD {
			best, bestD = n, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance of a and b, by bytes (feature
// names are ASCII).
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			sub := prev[j-1]
			if a[i-1] != b[j-1] {
				sub++
			}
			cur[j] = min(sub, prev[j]+1, cur[j-1]+1)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// licenseAt is where f is defined, by file name alone: the message goes to
// clients, who need not learn the server's directories.
func licenseAt(f *Feature) string {
	if f.Where == "" {
		return "its license file"
	}
	return filepath.Base(f.Where)
}
