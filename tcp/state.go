package tcp

// State is a connection's state (RFC 9293 3.3.2).
type State uint8

const (
	Closed State = iota
	Listen
	SynSent
	SynReceived
	Established
	FinWait1
	FinWait2
	CloseWait
	Closing
	LastAck
	TimeWait
)

var stateNames = [...]string{"CLOSED", "LISTEN", "SYN-SENT", "SYN-RECEIVED", "ESTABLISHED",
	"FIN-WAIT-1", "FIN-WAIT-2", "CLOSE-WAIT", "CLOSING", "LAST-ACK", "TIME-WAIT"}

// ssNames are the names iproute2's ss prints.
var ssNames = [...]string{"UNCONN", "LISTEN", "SYN-SENT", "SYN-RECV", "ESTAB",
	"FIN-WAIT-1", "FIN-WAIT-2", "CLOSE-WAIT", "CLOSING", "LAST-ACK", "TIME-WAIT"}

// String is the RFC's name: "ESTABLISHED".
func (s State) String() string {
	if int(s) < len(stateNames) {
		return stateNames[s]
	}
	return "STATE?"
}

// SSName is the name ss prints: "ESTAB".
func (s State) SSName() string {
	if int(s) < len(ssNames) {
		return ssNames[s]
	}
	return "UNKNOWN"
}

// synchronized reports whether the state is past the handshake (RFC 9293
// calls these the synchronized states).
func (s State) synchronized() bool { return s >= Established }

// setState moves c to s, keeping CurrEstab and tracing the change.
func (c *Conn) setState(s State) {
	old := c.state
	if old == s {
		return
	}
	estab := func(x State) bool { return x == Established || x == CloseWait }
	if estab(old) && !estab(s) {
		c.p.Stats.CurrEstab.Add(^uint64(0))
	} else if !estab(old) && estab(s) {
		c.p.Stats.CurrEstab.Add(1)
	}
	c.state = s
	c.historyState()
	if c.p.tracing() {
		c.traceEvent(TraceState, old.String()+" -> "+s.String())
	}
}
