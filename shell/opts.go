package shell

import (
	"strconv"
	"strings"
	"time"
)

// opts is what parseOpts found: getopt-style short options, which may come
// before or after the other arguments ("ping 10.0.0.2 -c 3", "-c3").
type opts struct {
	set  map[byte]string // option -> value ("" for a flag)
	args []string        // the rest, in order
}

// parseOpts parses args against spec, as getopt(3): each letter is an
// option; a letter followed by ':' takes a value. "--" ends the options.
// Its complaints are getopt's ("invalid option -- 'x'").
func parseOpts(args []string, spec string) (opts, error) {
	o := opts{set: map[byte]string{}}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			o.args = append(o.args, args[i+1:]...)
			break
		}
		if len(a) < 2 || a[0] != '-' || isNumber(a) {
			o.args = append(o.args, a)
			continue
		}
		for j := 1; j < len(a); j++ {
			k := strings.IndexByte(spec, a[j])
			if k < 0 || a[j] == ':' {
				return o, usage("invalid option -- '%c'", a[j])
			}
			if k+1 < len(spec) && spec[k+1] == ':' {
				switch {
				case j+1 < len(a):
					o.set[a[j]] = a[j+1:]
				case i+1 < len(args):
					i++
					o.set[a[j]] = args[i]
				default:
					return o, usage("option requires an argument -- '%c'", a[j])
				}
				break
			}
			o.set[a[j]] = ""
		}
	}
	return o, nil
}

func isNumber(s string) bool { _, err := strconv.ParseFloat(s, 64); return err == nil }

func (o opts) has(c byte) bool { _, ok := o.set[c]; return ok }

// intOpt returns option c as an integer in [lo, hi], or def if absent.
func (o opts) intOpt(c byte, def, lo, hi int) (int, error) {
	v, ok := o.set[c]
	if !ok {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return 0, usage("-%c %s: invalid argument (give a whole number from %d to %d)", c, v, lo, hi)
	}
	return n, nil
}

// secondsOpt returns option c, given in (fractional) seconds as ping takes
// them, within [lo, hi], or def if absent.
func (o opts) secondsOpt(c byte, def, lo, hi time.Duration) (time.Duration, error) {
	v, ok := o.set[c]
	if !ok {
		return def, nil
	}
	f, err := strconv.ParseFloat(v, 64)
	d := time.Duration(f * float64(time.Second))
	if err != nil || d < lo || d > hi {
		return 0, usage("-%c %s: invalid argument (give seconds from %g to %g)", c, v, lo.Seconds(), hi.Seconds())
	}
	return d, nil
}

// usageError is a complaint about a command's arguments, made by usage:
// Execute prints the command's usage line after it.
type usageError string

func (e usageError) Error() string        { return string(e) }
func (e usageError) Is(target error) bool { return target == ErrUsage }
