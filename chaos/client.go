package chaos

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/floatlic/floatlic/internal/wire"
)

// The clients of a run: sessions that speak floatlic's wire protocol
// themselves, one request at a time, so that every request and its reply
// is recorded exactly as sent and received. They do what an application
// with package licenses does (fail over, follow not_primary, repeat a
// request id until answered, heartbeat, check in what the server lists and
// they do not hold) plus what users do: borrow and return, report grace,
// and die without checking in.

// FeatureLoad is the load on one feature.
type FeatureLoad struct {
	Name     string
	Count    int  // its COUNT
	Sessions int  // sessions at once
	Borrow   bool // the license lets it be borrowed
	Grace    bool // the license has GRACE: report grace use
}

// Workload runs the sessions.
type Workload struct {
	Rec       *Recorder
	Hosts     int                     // client hosts
	Servers   func(host int) []string // a host's addresses of the nodes, in node order
	NodeOf    func(addr string) int   // the node (1-based) a not_primary reply names
	Features  []FeatureLoad
	Heartbeat time.Duration // the server's heartbeat interval
	Timeout   time.Duration // per request
	Seed      uint64
	// DieEvery is the mean number of actions after which a session's
	// process dies without checking in.
	DieEvery int

	mu         sync.Mutex
	sessions   int
	dead       []*session // died holding borrows their users return later
	unexpected []string
}

// Run runs sessions until stop is closed, then has every live one check in
// and return its borrows, and returns the borrows of dead ones.
func (w *Workload) Run(stop <-chan struct{}) {
	var wg sync.WaitGroup
	slot := 0
	for _, f := range w.Features {
		for range f.Sessions {
			slot++
			rng := mrand.New(mrand.NewPCG(w.Seed, uint64(slot)))
			host := slot % w.Hosts
			wg.Add(1)
			go func() {
				defer wg.Done()
				for !closed(stop) {
					s := w.newSession(f, host, rng)
					if s.run(stop) {
						w.mu.Lock()
						w.dead = append(w.dead, s)
						w.mu.Unlock()
					}
				}
			}()
		}
	}
	wg.Wait()
	for _, s := range w.dead {
		s.returnAll()
	}
}

// Unexpected returns the replies no correct server gives.
func (w *Workload) Unexpected() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.unexpected...)
}

func (w *Workload) newSession(f FeatureLoad, host int, rng *mrand.Rand) *session {
	w.mu.Lock()
	w.sessions++
	n := w.sessions
	w.mu.Unlock()
	return &session{w: w, n: n, f: f, rng: rng, servers: w.Servers(host),
		id: wire.Client{Session: randomHex(16), User: fmt.Sprintf("user%d", n), Host: fmt.Sprintf("host%d", host), PID: n},
		hc: &http.Client{Timeout: w.Timeout, Transport: &http.Transport{MaxIdleConnsPerHost: 1}}}
}

func closed(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

// session is one client process.
type session struct {
	w       *Workload
	n       int
	f       FeatureLoad
	rng     *mrand.Rand
	id      wire.Client
	servers []string
	cur     int // the node it sends to, as an index of servers
	hc      *http.Client

	held       []string
	checkout   string // request id of a checkout not yet answered
	borrows    []borrowed
	borrow     string // request id of a borrow not yet answered
	graceToken string
	nextBeat   time.Duration
}

type borrowed struct{ id, token string }

// run acts until stop, then checks in; it returns true when the process
// died instead.
func (s *session) run(stop <-chan struct{}) (died bool) {
	defer s.hc.CloseIdleConnections()
	for !closed(stop) {
		if s.rng.IntN(s.w.DieEvery) == 0 {
			return true
		}
		s.act()
		s.pause(stop)
	}
	s.finish()
	return false
}

func (s *session) act() {
	now := s.w.Rec.Now()
	r := s.rng.Float64()
	switch {
	case len(s.held) > 0 && now >= s.nextBeat:
		s.heartbeat()
	case len(s.held) < 2 && r < 0.45:
		s.checkoutOne()
	case len(s.held) > 0 && r < 0.75:
		s.checkin(s.held[s.rng.IntN(len(s.held))])
	case s.f.Borrow && len(s.borrows) == 0 && r < 0.8:
		s.borrowOne()
	case len(s.borrows) > 0 && r < 0.9:
		s.giveBack(s.borrows[0])
	case s.graceToken != "" && r < 0.93:
		s.reportGrace()
	}
}

// pause waits a little, never past the next heartbeat.
func (s *session) pause(stop <-chan struct{}) {
	d := time.Duration(20+s.rng.IntN(230)) * time.Millisecond
	if len(s.held) > 0 {
		d = max(0, min(d, s.nextBeat-s.w.Rec.Now()))
	}
	select {
	case <-stop:
	case <-time.After(d):
	}
}

func (s *session) input(kind Kind) Input {
	return Input{Kind: kind, Client: s.n, Session: s.id.Session, Feature: s.f.Name}
}

func (s *session) checkoutOne() {
	var rep wire.CheckoutReply
	out, ok := s.once(&s.checkout, OpCheckout, func(in Input) Output {
		return s.exchange(in, wire.PathCheckout, wire.CheckoutRequest{Client: s.id, RequestID: in.Request, Feature: s.f.Name}, &rep,
			func() Output {
				return Output{ID: rep.CheckoutID, leaseFor: time.Duration(rep.LeaseSeconds * float64(time.Second))}
			})
	})
	if ok && out.Outcome == Done {
		s.hold(out.ID)
		s.graceToken = rep.GraceToken
		s.nextBeat = s.w.Rec.Now() + s.w.Heartbeat
	}
}

// once sends a request that must take effect at most once (a checkout, a
// borrow): its id, kept in *pending, is sent again on every try until the
// request is answered for good (granted or denied); ok says it was.
func (s *session) once(pending *string, kind Kind, send func(Input) Output) (out Output, ok bool) {
	if *pending == "" {
		*pending = randomHex(8)
	}
	in := s.input(kind)
	in.Request = *pending
	out = send(in)
	if out.Outcome != Done && out.Outcome != Denied {
		return out, false // asked again, with the same request id, next time
	}
	*pending = ""
	return out, true
}

func (s *session) hold(id string) {
	if !slices.Contains(s.held, id) {
		s.held = append(s.held, id)
	}
}

func (s *session) heartbeat() {
	s.nextBeat = s.w.Rec.Now() + s.w.Heartbeat
	var rep wire.HeartbeatReply
	out := s.exchange(s.input(OpHeartbeat), wire.PathHeartbeat, wire.HeartbeatRequest{Client: s.id}, &rep,
		func() Output { return Output{IDs: rep.Checkouts, Lease: s.w.Rec.At(rep.LeaseUntil)} })
	switch out.Outcome {
	case NoSession:
		s.held = nil // the application would check out again
	case Done:
		var strays []string
		mine := s.held
		s.held = nil
		for _, id := range rep.Checkouts {
			if slices.Contains(mine, id) {
				s.held = append(s.held, id)
			} else {
				strays = append(strays, id) // granted to a request whose reply was lost
			}
		}
		for _, id := range strays {
			s.checkin(id)
		}
	}
}

func (s *session) checkin(id string) {
	in := s.input(OpCheckin)
	in.ID = id
	var rep wire.CheckinReply
	s.exchange(in, wire.PathCheckin, wire.CheckinRequest{Client: s.id, CheckoutID: id}, &rep,
		func() Output { return Output{N: rep.Released} })
	// Given up either way: were it still held, a heartbeat lists it again.
	s.held = slices.DeleteFunc(s.held, func(h string) bool { return h == id })
}

func (s *session) borrowOne() {
	var rep wire.BorrowReply
	out, ok := s.once(&s.borrow, OpBorrow, func(in Input) Output {
		return s.exchange(in, wire.PathBorrow, wire.BorrowRequest{Client: s.id, RequestID: in.Request, Feature: s.f.Name, Hours: 1}, &rep,
			func() Output { return Output{ID: rep.BorrowID} })
	})
	if ok && out.Outcome == Done {
		s.borrows = append(s.borrows, borrowed{rep.BorrowID, rep.Token})
	}
}

func (s *session) giveBack(b borrowed) bool {
	in := s.input(OpReturn)
	in.ID = b.id
	var rep wire.ReturnReply
	out := s.exchange(in, wire.PathReturn, wire.ReturnRequest{Client: s.id, BorrowID: b.id, Token: b.token}, &rep,
		func() Output {
			if rep.Returned {
				return Output{N: 1}
			}
			return Output{}
		})
	if out.Outcome != Done {
		return false
	}
	s.borrows = s.borrows[1:]
	return true
}

// reportGrace reports a grace period on the grace token of its last
// checkout, as a client does that ran on grace while no server answered.
func (s *session) reportGrace() {
	id, hours := tokenID(s.graceToken)
	now := time.Now().UTC().Truncate(time.Second)
	var rep wire.GraceReply
	s.exchange(s.input(OpGrace), wire.PathGrace, wire.GraceReport{Client: s.id, Token: s.graceToken, TokenID: id,
		Feature: s.f.Name, Activated: now.Add(-time.Minute), Expires: now.Add(-time.Minute + time.Duration(hours)*time.Hour)},
		&rep, func() Output { return Output{} })
	s.graceToken = ""
}

// finish checks everything in and returns the borrows, as a process that
// exits cleanly does.
func (s *session) finish() {
	for range 5 {
		var rep wire.CheckinReply
		out := s.exchange(s.input(OpCheckinAll), wire.PathCheckin, wire.CheckinRequest{Client: s.id, All: true}, &rep,
			func() Output { return Output{N: rep.Released} })
		if out.Outcome == Done {
			break
		}
	}
	s.held = nil
	s.returnAll()
}

// returnAll returns every borrow, learning first the id of one whose reply
// was lost by asking again.
func (s *session) returnAll() {
	for range 5 {
		if s.borrow != "" {
			s.borrowOne()
		}
		for len(s.borrows) > 0 && s.giveBack(s.borrows[0]) {
		}
		if s.borrow == "" && len(s.borrows) == 0 {
			return
		}
	}
}

// exchange sends one request until a node answers it for good, recording
// every attempt: up to 6 tries, to the node a not_primary names or else
// the next one. ok fills the Output of a 200 reply, decoded into reply.
// The outcome is Unknown when no node answered for good and one attempt
// may have taken effect.
func (s *session) exchange(in Input, path string, req, reply any, ok func() Output) Output {
	var out Output
	lost := false
	for range 6 {
		node := s.cur
		call := s.w.Rec.Now()
		out = s.post(s.servers[node], path, req, reply, ok)
		if out.leaseFor > 0 { // the server counted it from when it got the request
			out.Lease = call + out.leaseFor
		}
		s.w.Rec.Add(Op{Input: in, Output: out, Call: call, Return: s.w.Rec.Now(), Node: node + 1})
		lost = lost || out.Outcome == Unknown
		switch {
		case out.Outcome != NoEffect && out.Outcome != Unknown:
			return out
		case out.Code == wire.CodeNotPrimary:
			if p := s.w.NodeOf(out.primary); p > 0 && p-1 != node {
				s.cur = p - 1
				continue
			}
		case out.Outcome == NoEffect && out.Code != wire.CodeNoQuorum:
			if lost {
				out.Outcome = Unknown
			}
			return out // refused for good
		}
		s.cur = (node + 1) % len(s.servers)
		time.Sleep(time.Duration(50+s.rng.IntN(100)) * time.Millisecond)
	}
	if lost {
		out.Outcome = Unknown
	}
	return out
}

// post sends one request and classifies its reply.
func (s *session) post(addr, path string, req, reply any, ok func() Output) Output {
	body, _ := json.Marshal(req)
	resp, err := s.hc.Post("http://"+addr+path, "application/json", bytes.NewReader(body))
	if errors.Is(err, syscall.ECONNREFUSED) {
		return Output{Outcome: NoEffect, Code: "connection refused"} // nothing got it
	}
	if err != nil {
		return Output{Outcome: Unknown, Code: "no reply: " + transportReason(err)}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return Output{Outcome: Unknown, Code: "reply cut: " + transportReason(err)}
	}
	if resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal(data, reply); err != nil {
			s.w.unexpectedReply(fmt.Sprintf("%s: reply is not JSON: %v", path, err))
			return Output{Outcome: NoEffect, Code: "bad reply"}
		}
		out := ok()
		out.Outcome = Done
		return out
	}
	var e wire.ErrorReply
	if json.Unmarshal(data, &e) != nil || e.Error == nil {
		return Output{Outcome: Unknown, Code: fmt.Sprintf("HTTP %d", resp.StatusCode)}
	}
	out := Output{Outcome: outcomeOf(e.Error.Code), Code: e.Error.Code, primary: e.Error.Primary}
	if out.Outcome == NoEffect && !expectedRefusal[e.Error.Code] {
		s.w.unexpectedReply(fmt.Sprintf("%s by client %d: %s", path, s.n, e.Error))
	}
	return out
}

// expectedRefusal are the refusals a correct server gives these clients.
var expectedRefusal = map[string]bool{
	"connection refused": true, wire.CodeNotPrimary: true, wire.CodeNoQuorum: true, wire.CodeBorrowNotAllowed: true,
}

func outcomeOf(code string) Outcome {
	switch code {
	case wire.CodeCountExhausted:
		return Denied
	case wire.CodeUnknownSession:
		return NoSession
	case wire.CodeUnavailable, wire.CodeInternal:
		return Unknown // it may yet commit: the client asks again
	}
	return NoEffect
}

func (w *Workload) unexpectedReply(s string) {
	w.mu.Lock()
	w.unexpected = append(w.unexpected, s)
	w.mu.Unlock()
}

func transportReason(err error) string {
	var ne interface{ Timeout() bool }
	if errors.As(err, &ne) && ne.Timeout() {
		return "timeout"
	}
	msg := err.Error()
	if i := strings.LastIndex(msg, ": "); i >= 0 {
		msg = msg[i+2:]
	}
	return msg
}

// tokenID reads the id and grace hours of a token's payload; the server
// checks its signature.
func tokenID(tok string) (string, int) {
	payload, _, _ := strings.Cut(tok, ".")
	b, _ := base64.RawURLEncoding.DecodeString(payload)
	var t struct {
		ID         string `json:"id"`
		GraceHours int    `json:"grace_hours"`
	}
	json.Unmarshal(b, &t)
	return t.ID, t.GraceHours
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
