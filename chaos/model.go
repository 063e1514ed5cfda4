package chaos

import (
	"cmp"
	"fmt"
	"hash/fnv"
	"slices"
	"strings"
	"time"

	"github.com/anishathalye/porcupine"
)

// The sequential model of one feature's pool, against which porcupine
// checks the recorded history: the seats taken, by checkouts and borrows.
// A checkout or borrow is named by its session and request id, since a
// repeated request returns the seat it already has; its id is the one a
// reply showed, or "" while no reply has (a request whose reply was lost
// may still have been granted: the first reply that lists its id names it).
//
// Two things happen in a pool that no client sees happen: a session whose
// lease ran out may be ended (its checkouts freed) at any time until it
// renews, and a request that was never answered may take effect at any
// time, or never. Rather than operations porcupine would have to place
// among all the others, they are part of the state: expirable sessions,
// ended when a reply needs it (a grant that needs their seats, their own
// request that finds them gone), and pending requests, which every step
// may or may not carry out (see closure). That keeps the search small
// through long outages.

// seat is one license taken from the pool.
type seat struct {
	borrow  bool
	session string
	request string
	id      string // "" until a reply shows it
}

// ledger is the pool's state: its seats, the sessions that may be ended,
// and the requests that may yet take effect, each in a canonical order so
// that equal ledgers compare equal. It is never changed in place.
type ledger struct {
	seats     []seat
	expirable []string
	pending   []Input
	// ghosts are the checkouts of dead clients (sessions after a Final
	// lapse), which the server may free at any time. Nothing will ever ask
	// about them again, so they are counted, not named: ledgers that differ
	// only in which dead client's seats are gone are the same ledger.
	ghosts int
	sum    uint64 // hash of the rest (see sealed): most unequal ledgers differ in it
}

func seatLess(a, b seat) int {
	return cmp.Or(boolCmp(a.borrow, b.borrow), strings.Compare(a.session, b.session),
		strings.Compare(a.request, b.request), strings.Compare(a.id, b.id))
}

func inputLess(a, b Input) int {
	return cmp.Or(cmp.Compare(a.Kind, b.Kind), strings.Compare(a.Session, b.Session),
		strings.Compare(a.Request, b.Request), strings.Compare(a.ID, b.ID))
}

func boolCmp(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

func (l ledger) withSeats(seats []seat) ledger {
	slices.SortFunc(seats, seatLess)
	l.seats = seats
	return l.sealed()
}

func (l ledger) with(s seat) ledger {
	return l.withSeats(append(slices.Clone(l.seats), s))
}

func (l ledger) without(i int) ledger {
	return l.withSeats(slices.Delete(slices.Clone(l.seats), i, i+1))
}

func (l ledger) replace(i int, s seat) ledger {
	seats := slices.Clone(l.seats)
	seats[i] = s
	return l.withSeats(seats)
}

// withoutSession frees every checkout of session.
func (l ledger) withoutSession(session string) ledger {
	return l.withSeats(slices.DeleteFunc(slices.Clone(l.seats), func(s seat) bool { return !s.borrow && s.session == session }))
}

// expire marks session as one the server may end.
func (l ledger) expire(session string) ledger {
	if !slices.Contains(l.expirable, session) {
		l.expirable = append(slices.Clone(l.expirable), session)
		slices.Sort(l.expirable)
	}
	return l.sealed()
}

// held is the number of licenses taken.
func (l ledger) held() int { return len(l.seats) + l.ghosts }

// bury makes the checkouts of a dead client's session ghosts.
func (l ledger) bury(session string) ledger {
	kept := l.withoutSession(session)
	kept.ghosts += len(l.seats) - len(kept.seats)
	return kept.sealed()
}

// renew: the session renewed its lease, it cannot be ended now.
func (l ledger) renew(session string) ledger {
	if slices.Contains(l.expirable, session) {
		l.expirable = slices.DeleteFunc(slices.Clone(l.expirable), func(s string) bool { return s == session })
	}
	return l.sealed()
}

// pend adds a request that may take effect later.
func (l ledger) pend(in Input) ledger {
	in.Client, in.At = 0, 0 // the same request, whoever numbers it, whenever sent
	if !slices.Contains(l.pending, in) {
		l.pending = append(slices.Clone(l.pending), in)
		slices.SortFunc(l.pending, inputLess)
	}
	return l.sealed()
}

// prune drops the pending requests that can no longer arrive at now.
func (l ledger) prune(now time.Duration) ledger {
	stale := func(p Input) bool { return p.Until != 0 && p.Until < now }
	if !slices.ContainsFunc(l.pending, stale) {
		return l
	}
	l.pending = slices.DeleteFunc(slices.Clone(l.pending), stale)
	return l.sealed()
}

func (l ledger) done(i int) ledger {
	l.pending = slices.Delete(slices.Clone(l.pending), i, i+1)
	return l.sealed()
}

// find returns the index of the seat that matches, or -1.
func (l ledger) find(match func(seat) bool) int {
	return slices.IndexFunc(l.seats, match)
}

func (l ledger) hasID(id string) bool {
	return id != "" && l.find(func(s seat) bool { return s.id == id }) >= 0
}

func (l ledger) equal(m ledger) bool {
	return l.sum == m.sum && l.ghosts == m.ghosts && slices.Equal(l.seats, m.seats) && slices.Equal(l.expirable, m.expirable) && slices.Equal(l.pending, m.pending)
}

// sealed returns l with its hash computed; every change ends with it.
func (l ledger) sealed() ledger {
	l.sum = l.hash()
	return l
}

func (l ledger) hash() uint64 {
	h := fnv.New64a()
	write := func(f string) {
		h.Write([]byte(f))
		h.Write([]byte{0})
	}
	for _, s := range l.seats {
		if s.borrow {
			h.Write([]byte{'b'})
		}
		write(s.session)
		write(s.request)
		write(s.id)
	}
	h.Write([]byte{1})
	for _, s := range l.expirable {
		write(s)
	}
	fmt.Fprint(h, l.ghosts)
	h.Write([]byte{2})
	for _, p := range l.pending {
		write(p.Kind.String())
		write(p.Session)
		write(p.Request)
		write(p.ID)
	}
	return h.Sum64()
}

// closure returns l and every ledger it may become by what happens
// unseen: a pending request carried out. (An expirable session is ended
// only where a reply needs it: see roomy and NewModel's Step.)
func closure(l ledger, count int) []any {
	out := []any{l}
	for i := 0; i < len(out); i++ {
		for _, next := range unseen(out[i].(ledger), count) {
			if !slices.ContainsFunc(out, func(o any) bool { return o.(ledger).equal(next) }) {
				out = append(out, next)
			}
		}
	}
	return out
}

// unseen returns the ledgers one unseen event away from l.
func unseen(l ledger, count int) []ledger {
	var out []ledger
	for i, p := range l.pending {
		var next []any
		switch p.Kind {
		case OpCheckout, OpBorrow:
			next = take(l, count, p.Kind == OpBorrow, p, Output{Outcome: Done, ID: ""})
		case OpCheckin, OpReturn, OpCheckinAll:
			next = step(l, count, p, Output{Outcome: Done, N: releasedAny})
		}
		for _, n := range next {
			out = append(out, n.(ledger).done(i))
		}
	}
	return out
}

// NewModel returns the porcupine model of pools whose sizes count gives
// by feature; the history is checked one feature at a time.
func NewModel(count map[string]int) porcupine.Model {
	m := porcupine.NondeterministicModel{
		Partition: byFeature,
		Init:      func() []any { return []any{ledger{}.sealed()} },
		Step: func(state, input, output any) []any {
			in, out := input.(Input), output.(Output)
			l, n := state.(ledger).prune(in.At), count[in.Feature]
			var next []any
			switch {
			case in.Kind == OpLapse && in.Final:
				next = []any{l.bury(in.Session)}
			case in.Kind == OpLapse:
				next = []any{l.expire(in.Session)}
			case out.Outcome == Unknown:
				next = []any{l.pend(in)}
			default:
				next = step(l, n, in, out)
				// The caller's own session may have been ended first.
				if lapsed := l.withoutSession(in.Session); slices.Contains(l.expirable, in.Session) && !lapsed.equal(l) {
					next = append(next, step(lapsed, n, in, out)...)
				}
			}
			var all []any
			for _, x := range next {
				x := x.(ledger)
				if renews(in, out) {
					x = x.renew(in.Session)
				}
				all = append(all, closure(x, n)...)
			}
			return all
		},
		Equal:             func(a, b any) bool { return a.(ledger).equal(b.(ledger)) },
		Hash:              func(state any) uint64 { return state.(ledger).sum },
		DescribeOperation: describeOp,
		DescribeState:     describeLedger,
	}
	return m.ToModel()
}

// renews reports whether the server renewed the session's lease in op.
func renews(in Input, out Output) bool {
	return out.Outcome == Done && (in.Kind == OpHeartbeat || in.Kind == OpCheckout || in.Kind == OpCheckinAll)
}

func byFeature(history []porcupine.Operation) [][]porcupine.Operation {
	parts := map[string][]porcupine.Operation{}
	var names []string
	for _, op := range history {
		f := op.Input.(Input).Feature
		if parts[f] == nil {
			names = append(names, f)
		}
		parts[f] = append(parts[f], op)
	}
	slices.Sort(names)
	var out [][]porcupine.Operation
	for _, f := range names {
		out = append(out, parts[f])
	}
	return out
}

// step returns every ledger the pool may be in after the operation, none
// when the reply is impossible from l.
func step(l ledger, count int, in Input, out Output) []any {
	switch in.Kind {
	case OpCheckout:
		return take(l, count, false, in, out)
	case OpBorrow:
		return take(l, count, true, in, out)
	case OpHeartbeat:
		return heartbeat(l, in, out)
	case OpCheckin:
		return checkin(l, in, out)
	case OpCheckinAll:
		return endSession(l, in, out)
	case OpReturn:
		return giveBack(l, in, out)
	}
	return []any{l} // grace reports take nothing from the pool
}

// take is a checkout or a borrow: a repeated request returns its seat; a
// new one takes a free seat or is denied when there is none.
func take(l ledger, count int, borrow bool, in Input, out Output) []any {
	i := l.find(func(s seat) bool { return s.borrow == borrow && s.session == in.Session && s.request == in.Request })
	full := l.held() >= count
	fresh := seat{borrow: borrow, session: in.Session, request: in.Request}
	switch out.Outcome {
	case Done:
		switch {
		case out.ID == "" && i < 0 && !full:
			// A pending request carried out, in a free seat only: ending
			// expirable sessions to make room for it too would multiply the
			// ledgers by their number, for a grant no reply has shown.
			return []any{l.with(fresh)}
		case out.ID == "":
			return nil
		case i >= 0 && l.seats[i].id == out.ID:
			return []any{l}
		case i >= 0 && l.seats[i].id == "" && !l.hasID(out.ID):
			fresh.id = out.ID
			return []any{l.replace(i, fresh)}
		case i < 0 && !l.hasID(out.ID):
			fresh.id = out.ID
			var res []any
			for _, r := range roomy(l, count, 0) {
				res = append(res, r.with(fresh))
			}
			return res
		}
		return nil
	case Denied:
		if i < 0 && full {
			return []any{l}
		}
		return nil
	case Unknown:
		if i < 0 && !full {
			return []any{l, l.with(fresh)}
		}
		return []any{l}
	}
	return []any{l}
}

// roomy returns the ledgers with a free seat that l may be, by ending
// expirable sessions (from index from on, each set of them once): none
// when ending them all frees none. An expirable session is ended only when
// a reply needs it; until then it may still hold its seats.
func roomy(l ledger, count, from int) []ledger {
	if l.held() < count {
		return []ledger{l}
	}
	var out []ledger
	if l.ghosts > 0 {
		g := l
		g.ghosts--
		out = append(out, roomy(g.sealed(), count, from)...)
	}
	for j := from; j < len(l.expirable); j++ {
		s := l.expirable[j]
		if l.find(func(x seat) bool { return !x.borrow && x.session == s }) >= 0 {
			out = append(out, roomy(l.withoutSession(s), count, j+1)...)
		}
	}
	return out
}

// heartbeat: the reply lists exactly the session's checkouts. Ids the
// model has not seen name checkouts whose replies were lost.
func heartbeat(l ledger, in Input, out Output) []any {
	mine := func(s seat) bool { return !s.borrow && s.session == in.Session }
	switch out.Outcome {
	case NoSession:
		if l.find(mine) >= 0 {
			return nil
		}
		return []any{l}
	case Done:
		return bindAll(l, in.Session, out.IDs)
	}
	return []any{l}
}

// bindAll returns the ledgers in which the session's checkouts are exactly
// ids: every seat it knows listed, and every listed id it has not seen
// given to a seat granted without a reply.
func bindAll(l ledger, session string, ids []string) []any {
	mine := func(s seat) bool { return !s.borrow && s.session == session }
	var unseen []string
	for _, id := range ids {
		switch i := l.find(func(s seat) bool { return s.id == id }); {
		case i < 0:
			unseen = append(unseen, id)
		case !mine(l.seats[i]):
			return nil // another session's seat
		}
	}
	for _, s := range l.seats {
		if mine(s) && s.id != "" && !slices.Contains(ids, s.id) {
			return nil // a checkout the server no longer lists
		}
	}
	return bindUnseen(l, session, unseen)
}

// bindUnseen gives each id to one of the session's seats granted without a
// reply, in every way it can; every such seat must get one.
func bindUnseen(l ledger, session string, unseen []string) []any {
	i := l.find(func(s seat) bool { return !s.borrow && s.session == session && s.id == "" })
	switch {
	case len(unseen) == 0 && i >= 0:
		return nil // granted, yet the server does not list it
	case len(unseen) == 0:
		return []any{l}
	case i < 0:
		return nil // a checkout nobody asked for
	}
	var out []any
	for k, id := range unseen {
		s := l.seats[i]
		s.id = id
		out = append(out, bindUnseen(l.replace(i, s), session, slices.Delete(slices.Clone(unseen), k, k+1))...)
	}
	return out
}

// checkin releases one checkout: released 1 when the session held it, 0
// when not (checkin is idempotent). A release of 1 of an id the model has
// not seen is of a checkout granted without a reply.
func checkin(l ledger, in Input, out Output) []any {
	i := l.find(func(s seat) bool { return !s.borrow && s.session == in.Session && s.id == in.ID })
	unseen := l.find(func(s seat) bool { return !s.borrow && s.session == in.Session && s.id == "" })
	if out.Outcome == Done && i < 0 && out.N == 1 && unseen >= 0 && !l.hasID(in.ID) {
		return []any{l.without(unseen)}
	}
	return release(l, i, out)
}

// release is a checkin or a return of the seat at i (-1: none held).
func release(l ledger, i int, out Output) []any {
	switch out.Outcome {
	case Done:
		switch {
		case i >= 0 && (out.N == 1 || out.N == releasedAny):
			return []any{l.without(i)}
		case i < 0 && (out.N == 0 || out.N == releasedAny):
			return []any{l}
		}
		return nil
	case Unknown:
		if i >= 0 {
			return []any{l, l.without(i)}
		}
	}
	return []any{l}
}

// endSession releases every checkout of the session: a checkin of all
// (released must be their number), or a lapse, which may also not happen.
func endSession(l ledger, in Input, out Output) []any {
	kept := l.withoutSession(in.Session)
	n := len(l.seats) - len(kept.seats)
	switch {
	case out.Outcome == Unknown:
		return []any{l, kept}
	case out.Outcome == Done && (out.N == n || out.N == releasedAny):
		return []any{kept}
	case out.Outcome == Done:
		return nil
	}
	return []any{l}
}

// giveBack returns a borrow: Returned only when it was borrowed.
func giveBack(l ledger, in Input, out Output) []any {
	return release(l, l.find(func(s seat) bool { return s.borrow && s.id == in.ID }), out)
}

func describeOp(input, output any) string {
	in, out := input.(Input), output.(Output)
	arg := in.Request
	if in.ID != "" {
		arg = short(in.ID)
	}
	res := out.Outcome.String()
	switch {
	case out.Outcome == Done && out.ID != "":
		res = short(out.ID)
	case out.Outcome == Done && in.Kind == OpHeartbeat:
		var ids []string
		for _, id := range out.IDs {
			ids = append(ids, short(id))
		}
		res = "[" + strings.Join(ids, " ") + "]"
	case out.Outcome == Done:
		res = fmt.Sprint(out.N)
	case out.Code != "":
		res += " " + out.Code
	}
	return fmt.Sprintf("c%d %s(%s) -> %s", in.Client, in.Kind, arg, res)
}

func describeLedger(state any) string {
	var parts []string
	for _, s := range state.(ledger).seats {
		kind := "co"
		if s.borrow {
			kind = "bo"
		}
		id := short(s.id)
		if id == "" {
			id = "?"
		}
		parts = append(parts, fmt.Sprintf("%s %s %s", kind, short(s.session), id))
	}
	desc := fmt.Sprintf("%d held: %s", len(parts), strings.Join(parts, ", "))
	l := state.(ledger)
	if l.ghosts > 0 {
		desc += fmt.Sprintf("; %d of dead clients", l.ghosts)
	}
	if len(l.expirable) > 0 {
		var ss []string
		for _, s := range l.expirable {
			ss = append(ss, short(s))
		}
		desc += "; may expire: " + strings.Join(ss, " ")
	}
	for _, p := range l.pending {
		desc += fmt.Sprintf("; pending %s(%s)", p.Kind, short(p.Request+p.ID))
	}
	return desc
}

func short(id string) string {
	if len(id) > 6 {
		return id[:6]
	}
	return id
}
