package chaos

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/anishathalye/porcupine"
)

// Checks of a recorded history. Each returns the violations it finds, one
// line each; none means the history keeps the promise.

// Linearizable checks the history against the model of the pools (NewModel)
// with porcupine, within timeout. When it is not linearizable and html is
// not "", porcupine's visualisation of the failing part is written there.
//
// inFlight says until when a request sent at a time may still reach a
// server and take effect: a network or a paused process can hold it past
// its answer to a retry. nil means for ever.
func Linearizable(ops []Op, count map[string]int, inFlight func(sent time.Duration) time.Duration, timeout time.Duration, html string) (porcupine.CheckResult, []string) {
	model := NewModel(count)
	history := porcupineHistory(append(ops, lapses(ops)...), inFlight)
	res, info := porcupine.CheckOperationsVerbose(model, history, timeout)
	switch res {
	case porcupine.Ok:
		return res, nil
	case porcupine.Unknown:
		return res, nil // the caller reports it: not proven, not broken
	}
	msg := fmt.Sprintf("the history of %d operations is not linearizable against the model of the pools", len(history))
	if html != "" {
		if err := porcupine.VisualizePath(model, info, html); err != nil {
			msg += fmt.Sprintf(" (visualisation not written: %v)", err)
		} else {
			msg += "; porcupine's visualisation: " + html
		}
	}
	return res, []string{msg}
}

// porcupineHistory converts ops for porcupine, one operation per request:
// the attempts a session made of one request (a checkout or borrow by its
// request id, a checkin or return of one id) are one operation, from the
// first attempt's call to the answer that settled it. A request takes
// effect at most once, so that loses nothing, and it keeps the search
// small: a network outage leaves one open operation per session, not one
// per retry. Operations that cannot change a pool whatever it holds
// (refusals, lost heartbeats, grace reports) are left out.
//
// A lost attempt of a checkout or borrow that another attempt's answer
// settled may still arrive late, until inFlight says it cannot, and be
// granted anew once what it asked for was checked in, or after the pool
// had refused a retry of it: that is one more operation, whose outcome is
// unknown.
func porcupineHistory(ops []Op, inFlight func(time.Duration) time.Duration) []porcupine.Operation {
	var out []porcupine.Operation
	emit := func(op Op, call time.Duration) {
		op.Input.At = call
		out = append(out, porcupine.Operation{ClientId: op.Input.Client, Input: op.Input,
			Call: int64(call), Output: op.Output, Return: int64(op.Return)})
	}
	for _, mine := range bySession(ops) {
		lost := map[Input][]Op{} // attempts not yet settled
		for _, op := range mine {
			in := op.Input
			switch {
			case op.Output.Outcome == NoEffect || in.Kind == OpGrace:
			case op.Output.Outcome == Unknown:
				if in.Kind != OpHeartbeat {
					lost[in] = append(lost[in], op)
				}
			case len(lost[in]) == 0:
				emit(op, op.Call)
			default:
				answer, from := settled(op, lost[in])
				emit(answer, from)
				if k := in.Kind; k == OpCheckout || k == OpBorrow {
					// Pending from the first attempt until the last can
					// no longer arrive (see closure).
					late := lost[in][0]
					late.Return = late.Call
					if inFlight != nil {
						late.Input.Until = inFlight(lost[in][len(lost[in])-1].Call)
					}
					if inFlight == nil || late.Input.Until > op.Call {
						emit(late, late.Call)
					}
				}
				delete(lost, in)
			}
		}
		for _, attempts := range lost {
			// Never settled: pending from its first attempt on (see closure).
			op := attempts[0]
			op.Return = op.Call
			emit(op, op.Call)
		}
	}
	slices.SortFunc(out, func(a, b porcupine.Operation) int { return cmp.Compare(a.Call, b.Call) })
	return out
}

// settled is the answer to a request some earlier attempts of which got
// no reply, and when it may have taken effect. A grant names the one
// checkout or borrow they all asked for, granted at any of them; a
// release of 0 may have been an earlier attempt's doing (released: any).
// A denial, or a release of 1, shows that none of them took effect: the
// answer stands alone, which keeps porcupine from trying it early.
func settled(answer Op, lost []Op) (Op, time.Duration) {
	switch k := answer.Input.Kind; {
	case answer.Output.Outcome != Done:
		return answer, answer.Call
	case (k == OpCheckin || k == OpReturn) && answer.Output.N == 0, k == OpCheckinAll:
		answer.Output.N = releasedAny
	case k == OpCheckin || k == OpReturn:
		return answer, answer.Call
	}
	return answer, lost[0].Call
}

// releasedAny, as a checkin's or return's count, says that what it names
// is no longer held after it, whether it released it or an earlier lost
// attempt of it did.
const releasedAny = -1

// lapses returns, for every session, a Lapse at each time its lease (as
// the server last reported it) ran out before the next reply that renewed
// it: from then until it renews, the server may end the session at any
// time (the model's expirable sessions).
func lapses(ops []Op) []Op {
	var out []Op
	for _, mine := range bySession(ops) {
		var renewals []Op
		end := Never
		for _, op := range mine {
			switch {
			case op.Output.Outcome == Done && op.Output.Lease != 0:
				renewals = append(renewals, op)
			case op.Input.Kind == OpCheckinAll && op.Output.Outcome == Done:
				end = op.Return
			}
		}
		for i, r := range renewals {
			next := end
			if i+1 < len(renewals) {
				next = renewals[i+1].Return
			}
			if from := r.Output.Lease; from < next {
				out = append(out, Op{Input: Input{Kind: OpLapse, Client: r.Input.Client, Session: r.Input.Session,
					Feature: r.Input.Feature, Final: !asksAfter(mine, from)}, Output: Output{Outcome: Done}, Call: from, Return: from})
			}
		}
	}
	return out
}

// asksAfter reports whether the session asks about its checkouts after
// at: whether anything it does later can tell its checkouts from others.
func asksAfter(mine []Op, at time.Duration) bool {
	for _, op := range mine {
		switch op.Input.Kind {
		case OpCheckout, OpHeartbeat, OpCheckin, OpCheckinAll:
			if op.Return >= at {
				return true
			}
		}
	}
	return false
}

// bySession groups ops by session, each in call order.
func bySession(ops []Op) [][]Op {
	idx := map[string]int{}
	var out [][]Op
	for _, op := range ops {
		if op.Input.Session == "" {
			continue
		}
		i, ok := idx[op.Input.Session]
		if !ok {
			i = len(out)
			idx[op.Input.Session] = i
			out = append(out, nil)
		}
		out[i] = append(out[i], op)
	}
	return out
}

// held is one span during which a client knew it held a license.
type held struct {
	feature  string
	id       string // the checkout or borrow
	borrow   bool
	from, to time.Duration
	client   int
}

func (h held) String() string {
	kind := "checkout"
	if h.borrow {
		kind = "borrow"
	}
	return fmt.Sprintf("client %d %s %s", h.client, kind, h.id)
}

// OverCount checks that at no instant did clients hold more licenses of a
// feature than its COUNT, by their own account: from the reply that granted
// a checkout (or a heartbeat that listed it) to the end of the lease that
// reply reported or the checkin request, whichever came first; a borrow
// from its reply to its return request.
func OverCount(ops []Op, count map[string]int) []string {
	var spans []held
	for _, mine := range bySession(ops) {
		spans = append(spans, heldSpans(mine)...)
	}
	var out []string
	for _, f := range sortedKeys(count) {
		if v := overlap(spans, f, count[f]); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// heldSpans returns one session's spans of holding.
func heldSpans(ops []Op) []held {
	var spans []held
	released := map[string]time.Duration{} // id → when the client let it go
	for _, op := range ops {
		in, out := op.Input, op.Output
		switch {
		case in.Kind == OpCheckin || in.Kind == OpReturn:
			if _, ok := released[in.ID]; !ok {
				released[in.ID] = op.Call
			}
		case in.Kind == OpCheckinAll:
			released["*"] = op.Call
		}
		if out.Outcome != Done {
			continue
		}
		span := held{feature: in.Feature, id: out.ID, from: op.Return, to: out.Lease, client: in.Client}
		switch in.Kind {
		case OpCheckout:
			spans = append(spans, span)
		case OpHeartbeat:
			for _, id := range out.IDs {
				span.id = id
				spans = append(spans, span)
			}
		case OpBorrow:
			span.borrow, span.to = true, Never
			spans = append(spans, span)
		}
	}
	var cut []held
	for _, s := range spans {
		end := s.to
		if t, ok := released[s.id]; ok {
			end = min(end, t)
		}
		if t, ok := released["*"]; ok && !s.borrow {
			end = min(end, t)
		}
		if end > s.from {
			s.to = end
			cut = append(cut, s)
		}
	}
	return merge(cut)
}

// merge joins the overlapping spans of each license: a heartbeat renews
// what the checkout's reply, or the last heartbeat, already showed.
func merge(spans []held) []held {
	slices.SortFunc(spans, func(a, b held) int { return cmp.Or(cmp.Compare(a.id, b.id), cmp.Compare(a.from, b.from)) })
	var out []held
	for _, s := range spans {
		if n := len(out); n > 0 && out[n-1].id == s.id && s.from <= out[n-1].to {
			out[n-1].to = max(out[n-1].to, s.to)
			continue
		}
		out = append(out, s)
	}
	return out
}

// overlap sweeps the spans of feature and names the first instant more
// than count were held.
func overlap(spans []held, feature string, count int) string {
	type edge struct {
		at   time.Duration
		step int
		who  string
	}
	var edges []edge
	for _, s := range spans {
		if s.feature == feature {
			edges = append(edges, edge{s.from, +1, s.String()}, edge{s.to, -1, s.String()})
		}
	}
	// Ends before starts at the same instant: touching spans do not overlap.
	slices.SortFunc(edges, func(a, b edge) int { return cmp.Or(cmp.Compare(a.at, b.at), cmp.Compare(a.step, b.step)) })
	n := 0
	holders := map[string]bool{}
	for _, e := range edges {
		n += e.step
		if e.step > 0 {
			holders[e.who] = true
		} else {
			delete(holders, e.who)
		}
		if n > count {
			return fmt.Sprintf("%s: %d licenses held at %s, COUNT is %d: %v", feature, n, e.at.Round(time.Millisecond), count, sortedKeys(holders))
		}
	}
	return ""
}

// Lost checks that no acknowledged checkout went missing while its lease
// held: a heartbeat answered before the lease the server last reported ran
// out must list every checkout the client holds.
func Lost(ops []Op) []string {
	var out []string
	for _, mine := range bySession(ops) {
		holding := map[string]bool{}
		lease := time.Duration(math.MinInt64)
		for _, op := range mine {
			in, res := op.Input, op.Output
			if res.Outcome != Unknown && op.Return > lease {
				// The lease may have run out before the server got this
				// request: what the session held may be gone, rightly.
				clear(holding)
			}
			switch in.Kind {
			case OpCheckin:
				delete(holding, in.ID)
			case OpCheckinAll:
				clear(holding)
			}
			if res.Outcome == NoSession && op.Return < lease && len(holding) > 0 {
				out = append(out, fmt.Sprintf("client %d: the server forgot its session at %s, its lease ran to %s: checkouts %v lost",
					in.Client, op.Return.Round(time.Millisecond), lease.Round(time.Millisecond), sortedKeys(holding)))
			}
			if res.Outcome == NoSession {
				clear(holding)
			}
			if res.Outcome != Done {
				continue
			}
			switch in.Kind {
			case OpCheckout:
				holding[res.ID] = true
			case OpHeartbeat:
				for id := range holding {
					if !slices.Contains(res.IDs, id) && op.Return < lease {
						out = append(out, fmt.Sprintf("client %d: checkout %s missing from the heartbeat answered at %s, its lease ran to %s",
							in.Client, id, op.Return.Round(time.Millisecond), lease.Round(time.Millisecond)))
					}
				}
				clear(holding)
				for _, id := range res.IDs {
					holding[id] = true
				}
			}
			if res.Lease != 0 {
				lease = res.Lease
			}
		}
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
