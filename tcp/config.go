package tcp

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Config holds the tunables, under the names of Linux's net.ipv4 sysctls
// where Linux has one, with Linux's defaults (Documentation/networking/
// ip-sysctl.rst). Protocol.SetSysctl changes one by name.
type Config struct {
	SynRetries      int           // tcp_syn_retries: SYN retransmissions before ETIMEDOUT
	SynAckRetries   int           // tcp_synack_retries
	Retries2        int           // tcp_retries2: data retransmissions before ETIMEDOUT
	SACK            bool          // tcp_sack: offer and accept SACK-permitted
	Timestamps      bool          // tcp_timestamps
	WindowScaling   bool          // tcp_window_scaling
	Syncookies      int           // tcp_syncookies: 0 never, 1 when the SYN queue overflows, 2 always
	MaxSynBacklog   int           // tcp_max_syn_backlog: half-open connections per listener
	FinTimeout      time.Duration // tcp_fin_timeout: FIN-WAIT-2 of a closed socket
	KeepaliveTime   time.Duration // tcp_keepalive_time
	KeepaliveIntvl  time.Duration // tcp_keepalive_intvl
	KeepaliveProbes int           // tcp_keepalive_probes
	Rmem            [3]int        // tcp_rmem: min, default, max receive buffer
	Wmem            [3]int        // tcp_wmem: min, default, max send buffer
	ModerateRcvbuf  bool          // tcp_moderate_rcvbuf: grow receive buffers to the measured rate (autotune.go)
	// CongestionControl is tcp_congestion_control: the algorithm of new
	// connections, one of CongestionControls().
	CongestionControl string
	PacingSSRatio     int  // tcp_pacing_ss_ratio: pacing rate in slow start, % of cwnd/srtt
	PacingCARatio     int  // tcp_pacing_ca_ratio: in congestion avoidance
	Recovery          int  // tcp_recovery: bits RecoveryRACK, RecoveryStaticReoWnd, RecoveryNoDupThreshFB (rack.go)
	DSACK             bool // tcp_dsack: send D-SACKs for duplicate data (RFC 2883)

	// Not Linux sysctls: Linux fixes TIME-WAIT at 60 s (TCP_TIMEWAIT_LEN,
	// 2 MSL with MSL 30 s); here tests shorten it.
	TimeWait time.Duration
	// Bounds per stack: connections in the table (any state) and bytes of
	// send and receive buffer they hold.
	MaxConns    int
	MaxBuffered int
	// ChallengeACKLimit is how many RFC 5961 challenge ACKs go out per
	// second (Linux's tcp_challenge_ack_limit).
	ChallengeACKLimit int
}

// DefaultConfig is Linux's defaults.
func DefaultConfig() Config {
	return Config{
		SynRetries: 6, SynAckRetries: 5, Retries2: 15,
		SACK: true, Timestamps: true, WindowScaling: true,
		Syncookies: 1, MaxSynBacklog: 128,
		FinTimeout:    60 * time.Second,
		KeepaliveTime: 7200 * time.Second, KeepaliveIntvl: 75 * time.Second, KeepaliveProbes: 9,
		Rmem:     [3]int{4096, 131072, 6291456},
		Wmem:     [3]int{4096, 16384, 4194304},
		Recovery: RecoveryRACK, DSACK: true,

		ModerateRcvbuf:    true,
		CongestionControl: DefaultCongestionControl,
		PacingSSRatio:     200, PacingCARatio: 120,

		TimeWait:          60 * time.Second,
		MaxConns:          4096,
		MaxBuffered:       256 << 20,
		ChallengeACKLimit: 1000,
	}
}

// sysctl is one tunable's name and its field in Config.
type sysctl struct {
	name string
	get  func(*Config) string
	set  func(*Config, string) error
}

func intCtl(name string, f func(*Config) *int) sysctl { return rangeCtl(name, f, 0, math.MaxInt) }

// rangeCtl is an integer tunable from lo to hi.
func rangeCtl(name string, f func(*Config) *int, lo, hi int) sysctl {
	return sysctl{name,
		func(c *Config) string { return strconv.Itoa(*f(c)) },
		func(c *Config, v string) error {
			if n, err := strconv.Atoi(v); err == nil && n >= lo && n <= hi {
				*f(c) = n
				return nil
			}
			if lo == 0 && hi == math.MaxInt {
				return fmt.Errorf("want a non-negative integer, not %q", v)
			}
			return fmt.Errorf("want an integer from %d to %d, not %q", lo, hi, v)
		}}
}

func boolCtl(name string, f func(*Config) *bool) sysctl {
	return sysctl{name,
		func(c *Config) string { return map[bool]string{false: "0", true: "1"}[*f(c)] },
		func(c *Config, v string) error {
			switch v {
			case "0", "1":
				*f(c) = v == "1"
				return nil
			}
			return fmt.Errorf("want 0 or 1, not %q", v)
		}}
}

func secondsCtl(name string, f func(*Config) *time.Duration) sysctl {
	return sysctl{name,
		func(c *Config) string { return strconv.Itoa(int(*f(c) / time.Second)) },
		func(c *Config, v string) error {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 {
				return fmt.Errorf("want a number of seconds from 1, not %q", v)
			}
			*f(c) = time.Duration(n) * time.Second
			return nil
		}}
}

func tripleCtl(name string, f func(*Config) *[3]int) sysctl {
	return sysctl{name,
		func(c *Config) string { t := f(c); return fmt.Sprintf("%d\t%d\t%d", t[0], t[1], t[2]) },
		func(c *Config, v string) error {
			var t [3]int
			fs := strings.Fields(v)
			for i := range t {
				n := -1
				if i < len(fs) {
					n, _ = strconv.Atoi(fs[i])
				}
				if len(fs) != 3 || n < 1 {
					return fmt.Errorf("want three sizes in bytes (min default max), not %q", v)
				}
				t[i] = n
			}
			if t[0] > t[1] || t[1] > t[2] {
				return fmt.Errorf("want min <= default <= max, not %q", v)
			}
			*f(c) = t
			return nil
		}}
}

// choiceCtl is a tunable whose value is one of a list of names.
func choiceCtl(name string, f func(*Config) *string, choices []string) sysctl {
	return sysctl{name,
		func(c *Config) string { return *f(c) },
		func(c *Config, v string) error {
			if !slices.Contains(choices, v) {
				return fmt.Errorf("want one of %s, not %q", strings.Join(choices, ", "), v)
			}
			*f(c) = v
			return nil
		}}
}

// ErrReadOnly is SetSysctl's error for a tunable that only reports.
var ErrReadOnly = errors.New("read-only")

// readOnlyCtl is a tunable that reports and cannot be set, as the
// /proc/sys files of mode 0444.
func readOnlyCtl(name string, get func() string) sysctl {
	return sysctl{name,
		func(*Config) string { return get() },
		func(*Config, string) error { return ErrReadOnly }}
}

var sysctls = []sysctl{
	intCtl("tcp_syn_retries", func(c *Config) *int { return &c.SynRetries }),
	intCtl("tcp_synack_retries", func(c *Config) *int { return &c.SynAckRetries }),
	intCtl("tcp_retries2", func(c *Config) *int { return &c.Retries2 }),
	boolCtl("tcp_sack", func(c *Config) *bool { return &c.SACK }),
	boolCtl("tcp_timestamps", func(c *Config) *bool { return &c.Timestamps }),
	boolCtl("tcp_window_scaling", func(c *Config) *bool { return &c.WindowScaling }),
	intCtl("tcp_syncookies", func(c *Config) *int { return &c.Syncookies }),
	intCtl("tcp_max_syn_backlog", func(c *Config) *int { return &c.MaxSynBacklog }),
	secondsCtl("tcp_fin_timeout", func(c *Config) *time.Duration { return &c.FinTimeout }),
	secondsCtl("tcp_keepalive_time", func(c *Config) *time.Duration { return &c.KeepaliveTime }),
	secondsCtl("tcp_keepalive_intvl", func(c *Config) *time.Duration { return &c.KeepaliveIntvl }),
	intCtl("tcp_keepalive_probes", func(c *Config) *int { return &c.KeepaliveProbes }),
	tripleCtl("tcp_rmem", func(c *Config) *[3]int { return &c.Rmem }),
	tripleCtl("tcp_wmem", func(c *Config) *[3]int { return &c.Wmem }),
	boolCtl("tcp_moderate_rcvbuf", func(c *Config) *bool { return &c.ModerateRcvbuf }),
	choiceCtl("tcp_congestion_control", func(c *Config) *string { return &c.CongestionControl }, CongestionControls()),
	readOnlyCtl("tcp_available_congestion_control", func() string { return strings.Join(CongestionControls(), " ") }),
	rangeCtl("tcp_pacing_ss_ratio", func(c *Config) *int { return &c.PacingSSRatio }, 0, 1000), // Linux's bounds
	rangeCtl("tcp_pacing_ca_ratio", func(c *Config) *int { return &c.PacingCARatio }, 0, 1000),
	intCtl("tcp_recovery", func(c *Config) *int { return &c.Recovery }),
	boolCtl("tcp_dsack", func(c *Config) *bool { return &c.DSACK }),
}

// SysctlNames lists the tunables SetSysctl knows, as "net.ipv4.NAME".
func SysctlNames() []string {
	out := make([]string, len(sysctls))
	for i, s := range sysctls {
		out[i] = "net.ipv4." + s.name
	}
	return out
}

func findSysctl(name string) (sysctl, error) {
	short := strings.TrimPrefix(name, "net.ipv4.")
	for _, s := range sysctls {
		if s.name == short {
			return s, nil
		}
	}
	return sysctl{}, fmt.Errorf("sysctl: unknown key %q (the TCP keys are net.ipv4.tcp_*: see SysctlNames)", name)
}

// Sysctl returns the value of the tunable name ("net.ipv4.tcp_sack" or
// "tcp_sack"), formatted as /proc/sys prints it.
func (p *Protocol) Sysctl(name string) (string, error) {
	s, err := findSysctl(name)
	if err != nil {
		return "", err
	}
	cfg := p.Config()
	return s.get(&cfg), nil
}

// SetSysctl sets the tunable name to value; new connections and timers
// started from now on see it.
func (p *Protocol) SetSysctl(name, value string) error {
	s, err := findSysctl(name)
	if err != nil {
		return err
	}
	p.cfgMu.Lock()
	defer p.cfgMu.Unlock()
	cfg := *p.cfg.Load()
	if err := s.set(&cfg, strings.TrimSpace(value)); err != nil {
		return fmt.Errorf("sysctl: %s: %w", name, err)
	}
	p.cfg.Store(&cfg)
	return nil
}

// Config returns the current tunables.
func (p *Protocol) Config() Config { return *p.cfg.Load() }
