package policy

import (
	"slices"
	"strings"
)

// Set is a Policy indexed for the ledger: each feature's rules, and the
// group lists as sets. It never changes once made, so it is read without
// a lock.
type Set struct {
	policy     *Policy
	features   map[string]*Feature
	groups     map[string]map[string]bool
	hostGroups map[string]map[string]bool
}

// Feature is the rules of one feature, each list in file order but for
// Reserve (see Compile).
type Feature struct {
	Include, Exclude             []Rule
	IncludeBorrow, ExcludeBorrow []Rule
	Max, Reserve                 []Rule
	Timeout                      *TimeoutRule
}

// Compile indexes p; a nil p gives an empty Set.
//
// A feature's reservations are ordered narrowest first (USER and HOST, then
// HOST_GROUP and GROUP), then in file order: a license held by someone two
// reservations match counts against the narrower one, so the wider one
// still keeps its licenses for the others it names.
func Compile(p *Policy) *Set {
	s := &Set{policy: p, features: map[string]*Feature{},
		groups: map[string]map[string]bool{}, hostGroups: map[string]map[string]bool{}}
	if p == nil {
		return s
	}
	for name, members := range p.Groups {
		s.groups[name] = setOf(members)
	}
	for name, members := range p.HostGroups {
		s.hostGroups[name] = setOf(members)
	}
	for _, r := range p.Rules {
		f := s.feature(r.Feature)
		switch r.Keyword {
		case Include:
			f.Include = append(f.Include, r)
		case Exclude:
			f.Exclude = append(f.Exclude, r)
		case IncludeBorrow:
			f.IncludeBorrow = append(f.IncludeBorrow, r)
		case ExcludeBorrow:
			f.ExcludeBorrow = append(f.ExcludeBorrow, r)
		case Max:
			f.Max = append(f.Max, r)
		case Reserve:
			f.Reserve = append(f.Reserve, r)
		}
	}
	for _, t := range p.Timeouts {
		s.feature(t.Feature).Timeout = &t
	}
	for _, f := range s.features {
		slices.SortStableFunc(f.Reserve, func(a, b Rule) int { return breadth(a.Kind) - breadth(b.Kind) })
	}
	return s
}

func (s *Set) feature(name string) *Feature {
	f := s.features[name]
	if f == nil {
		f = &Feature{}
		s.features[name] = f
	}
	return f
}

// breadth orders target kinds from the narrowest.
func breadth(kind string) int {
	return strings.Index("USER HOST HOST_GROUP GROUP", kind)
}

func setOf(names []string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

// Policy returns the policy compiled, or nil.
func (s *Set) Policy() *Policy { return s.policy }

// Feature returns the rules of a feature, or nil when it has none.
func (s *Set) Feature(name string) *Feature { return s.features[name] }

// Timeouts returns every TIMEOUT, in file order.
func (s *Set) Timeouts() []TimeoutRule {
	if s.policy == nil {
		return nil
	}
	return s.policy.Timeouts
}

// Matches reports whether a rule's target takes in a user on a host.
func (s *Set) Matches(r Rule, user, host string) bool {
	switch r.Kind {
	case User:
		return user == r.Name
	case Host:
		return host == r.Name
	case Group:
		return s.groups[r.Name][user]
	case HostGroup:
		return s.hostGroups[r.Name][host]
	}
	return false
}

// First returns the first of rules that takes in user on host.
func (s *Set) First(rules []Rule, user, host string) (Rule, bool) {
	for _, r := range rules {
		if s.Matches(r, user, host) {
			return r, true
		}
	}
	return Rule{}, false
}
