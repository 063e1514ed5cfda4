package engine

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/floatlic/floatlic/internal/policy"
	"github.com/floatlic/floatlic/internal/wire"
)

// The options file's rules (package policy) are decided here, from the
// ledger's state alone, so that every HAL node decides alike: the policy
// comes with the features in SetFeatures, and each feature's use is kept by
// holder (user and host) next to its totals.

// holder is who holds licenses of a feature: a user on a host.
type holder struct{ user, host string }

// hold counts n licenses of feature as taken (negative: given back) by
// user on host, checked out or borrowed.
func (e *Engine) hold(feature, user, host string, n int, borrowed bool) {
	u := e.useOf(feature)
	if borrowed {
		u.borrowed += n
	} else {
		u.inUse += n
	}
	if u.holders == nil {
		u.holders = map[holder]int{}
	}
	h := holder{user, host}
	if u.holders[h] += n; u.holders[h] <= 0 {
		delete(u.holders, h)
	}
}

func (e *Engine) rules() *policy.Set { return e.policy.Load() }

// setPolicy makes p the policy in force; nil: no rules.
func (e *Engine) setPolicy(p *policy.Policy) { e.policy.Store(policy.Compile(p)) }

// UsePolicy makes p the options file's rules in force (nil: none), on a
// single server as it opens. A HAL node gets them with the features, in
// SetFeatures, so that every node applies the same rules.
func (e *Engine) UsePolicy(p *policy.Policy) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.setPolicy(p)
}

// policyRefusal checks a request of cl for n licenses of f against the
// options file, and returns the refusal's code and message, or "".
// EXCLUDE wins over INCLUDE; then MAX; then RESERVE, which only refuses
// what the pool could otherwise grant (shortOf refuses the rest).
func (e *Engine) policyRefusal(f *Feature, cl wire.Client, n int) (code, msg string) {
	set := e.rules()
	fr := set.Feature(f.Name)
	if fr == nil {
		return "", ""
	}
	if r, ok := set.First(fr.Exclude, cl.User, cl.Host); ok {
		return wire.CodeExcluded, fmt.Sprintf("%s: %s may not use %s", r, named(r, cl), f.Name)
	}
	if _, ok := set.First(fr.Include, cl.User, cl.Host); len(fr.Include) > 0 && !ok {
		return wire.CodeExcluded, fmt.Sprintf("%s: %s is only for those its INCLUDE lines name, and %s@%s is not one of them",
			fr.Include[0], f.Name, cl.User, cl.Host)
	}
	u := e.useOf(f.Name)
	for _, r := range fr.Max {
		if !set.Matches(r, cl.User, cl.Host) {
			continue
		}
		if held := heldBy(set, r, u); held+n > r.N {
			return wire.CodeMaxReached, fmt.Sprintf("%s: %s holds %d, %d more asked for", r, target(r), held, n)
		}
	}
	return e.reserveRefusal(set, fr, f, u, cl, n)
}

// reserveRefusal refuses n licenses to cl when they would come out of
// reservations kept for others. What anyone may have is COUNT less the
// licenses in use, borrowed, and reserved and not in use; cl may also have
// what is unused of the reservations that name it.
func (e *Engine) reserveRefusal(set *policy.Set, fr *policy.Feature, f *Feature, u *use, cl wire.Client, n int) (string, string) {
	free := f.Count - u.inUse - u.borrowed
	if len(fr.Reserve) == 0 || n > free {
		return "", "" // shortOf's to refuse
	}
	unused := unusedReservations(set, fr, u)
	others, first := 0, -1
	for i, r := range fr.Reserve {
		if unused[i] > 0 && !set.Matches(r, cl.User, cl.Host) {
			others += unused[i]
			if first < 0 {
				first = i
			}
		}
	}
	if n <= free-others {
		return "", ""
	}
	return wire.CodeReserved, fmt.Sprintf("%s: %d of the %d free licenses of %s are reserved for others, %d asked for",
		fr.Reserve[first], others, free, f.Name, n)
}

// unusedReservations returns, for each of a feature's reservations, how
// many of its licenses those it names do not hold. Each holder's licenses
// count against the reservations that name it, narrowest first (see
// policy.Compile), each license against one; holders are taken in order,
// so every node counts alike.
func unusedReservations(set *policy.Set, fr *policy.Feature, u *use) []int {
	left := make([]int, len(fr.Reserve))
	for i, r := range fr.Reserve {
		left[i] = r.N
	}
	for _, h := range sortedHolders(u) {
		k := u.holders[h]
		for i, r := range fr.Reserve {
			if k == 0 {
				break
			}
			if left[i] > 0 && set.Matches(r, h.user, h.host) {
				d := min(k, left[i])
				left[i] -= d
				k -= d
			}
		}
	}
	return left
}

func sortedHolders(u *use) []holder {
	hs := make([]holder, 0, len(u.holders))
	for h := range u.holders {
		hs = append(hs, h)
	}
	slices.SortFunc(hs, func(a, b holder) int {
		return cmp.Or(strings.Compare(a.user, b.user), strings.Compare(a.host, b.host))
	})
	return hs
}

// heldBy counts the licenses held by those a rule names: a GROUP's members
// together.
func heldBy(set *policy.Set, r policy.Rule, u *use) int {
	n := 0
	for h, k := range u.holders {
		if set.Matches(r, h.user, h.host) {
			n += k
		}
	}
	return n
}

// target names a rule's target in a message: "ann", "GROUP design".
func target(r policy.Rule) string {
	if r.Kind == policy.Group || r.Kind == policy.HostGroup {
		return r.Kind + " " + r.Name
	}
	return r.Name
}

// named is the caller as a rule that matched it names it: "ann", "host
// ws1", "ann, of GROUP design", "host ws1, of HOST_GROUP lab".
func named(r policy.Rule, cl wire.Client) string {
	switch r.Kind {
	case policy.Host:
		return "host " + cl.Host
	case policy.Group:
		return cl.User + ", of GROUP " + r.Name + ","
	case policy.HostGroup:
		return "host " + cl.Host + ", of HOST_GROUP " + r.Name + ","
	}
	return cl.User
}

// borrowRefusal checks a borrow of f by cl against INCLUDE_BORROW and
// EXCLUDE_BORROW (the other rules are admit's).
func (e *Engine) borrowRefusal(f *Feature, cl wire.Client) (code, msg string) {
	set := e.rules()
	fr := set.Feature(f.Name)
	if fr == nil {
		return "", ""
	}
	if r, ok := set.First(fr.ExcludeBorrow, cl.User, cl.Host); ok {
		return wire.CodeExcluded, fmt.Sprintf("%s: %s may not borrow %s", r, named(r, cl), f.Name)
	}
	if _, ok := set.First(fr.IncludeBorrow, cl.User, cl.Host); len(fr.IncludeBorrow) > 0 && !ok {
		return wire.CodeExcluded, fmt.Sprintf("%s: %s may be borrowed only by those its INCLUDE_BORROW lines name, and %s@%s is not one of them",
			fr.IncludeBorrow[0], f.Name, cl.User, cl.Host)
	}
	return "", ""
}

// overCommitted describes each feature whose licenses held exceed what the
// features and policy in force allow: a reload lowered COUNT, or raised the
// reservations, below what is in use. Those licenses stay held until
// checked in; shortOf and reserveRefusal grant no more meanwhile.
func (e *Engine) overCommitted() []string {
	var out []string
	set := e.rules()
	for _, f := range e.Features() {
		u := e.useOf(f.Name)
		held := u.inUse + u.borrowed
		if held > f.Count {
			out = append(out, fmt.Sprintf("%s: %d in use and %d borrowed, over its COUNT of %d: they stay until checked in, and none is granted until fewer are held",
				f.Name, u.inUse, u.borrowed, f.Count))
			continue
		}
		fr := set.Feature(f.Name)
		if fr == nil || len(fr.Reserve) == 0 {
			continue
		}
		unused := 0
		for _, k := range unusedReservations(set, fr, u) {
			unused += k
		}
		if held+unused > f.Count {
			out = append(out, fmt.Sprintf("%s: %d in use and %d borrowed, and %d reserved not in use, over its COUNT of %d: they stay until checked in, and none is granted outside its reservations until fewer are held",
				f.Name, u.inUse, u.borrowed, unused, f.Count))
		}
	}
	return out
}

// Idle lists the checkouts that a TIMEOUT reclaims at now, in id order:
// those of features with a TIMEOUT whose session was not heard from (a
// heartbeat or a request) for that long. The caller submits them in a
// Reap, on the serving node: the others do not know the heartbeats. A
// session is idle from no sooner than this node's start or takeover: the
// heartbeat times it finds then are old (written every few minutes, or
// not replicated), and a live client must not lose its licenses for it.
func (e *Engine) Idle(now time.Time) []string {
	set := e.rules()
	if len(set.Timeouts()) == 0 {
		return nil
	}
	e.mu.RLock()
	defer e.mu.RUnlock()
	var ids []string
	for _, s := range e.sessions {
		for _, c := range s.checkouts {
			if t := timeoutOf(set, c.Feature); t > 0 && now.Sub(e.heard(s)) >= t {
				ids = append(ids, c.ID)
			}
		}
	}
	slices.Sort(ids)
	return ids
}

// heard is when s was last heard from, as far as a TIMEOUT goes.
func (e *Engine) heard(s *session) time.Time { return maxTime(s.LastHeartbeat, e.idleFloor) }

func timeoutOf(set *policy.Set, feature string) time.Duration {
	if fr := set.Feature(feature); fr != nil && fr.Timeout != nil {
		return time.Duration(fr.Timeout.Seconds) * time.Second
	}
	return 0
}

// reapIdle releases the checkouts a TIMEOUT reclaims (see Idle), each
// with a timeout event naming the rule. One heard from since is left
// alone; replicated, the serving node decided.
func (e *Engine) reapIdle(t *txn, ids []string, now time.Time) int {
	set, n := e.rules(), 0
	for _, id := range ids {
		co := e.checkouts[id]
		if co == nil {
			continue
		}
		s := e.sessions[co.Session]
		limit := timeoutOf(set, co.Feature)
		if s == nil || limit == 0 || !e.cfg.Replicated && now.Sub(e.heard(s)) < limit {
			continue
		}
		detail := fmt.Sprintf("%s: idle since %s", set.Feature(co.Feature).Timeout, s.LastHeartbeat.UTC().Format(time.RFC3339))
		n += e.release(t, s, []string{id}, wire.EventTimeout, detail, now)
	}
	return n
}

// policyInfo is the policy in force as status shows it, or nil.
func (e *Engine) policyInfo() *wire.PolicyInfo {
	p := e.rules().Policy()
	if p == nil {
		return nil
	}
	return &wire.PolicyInfo{Path: p.Path, Rules: p.Directives}
}
