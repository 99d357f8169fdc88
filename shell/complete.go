package shell

import (
	"regexp"
	"sort"
	"strings"
)

// Tab completion, driven by the command table: the command names; then a
// command's flags, sub-commands and keywords as its Usage spells them
// ("[add IP MAC [dev IFACE] | del IP | flush]" offers add, dev, del,
// flush); device names where Usage asks for an IFACE; and whatever words
// the command adds (Command.Words: debug's layers, sysctl's names).

var (
	usageFlag    = regexp.MustCompile(`^-[a-zA-Z]$`)
	usageKeyword = regexp.MustCompile(`^[a-z][a-z0-9]*$`)
)

// completeKey is the line editor's callback: on Tab it completes the word
// before the cursor, or lists the choices when there is more than one.
func (sh *Shell) completeKey(line string, pos int, key rune) (string, int, bool) {
	if key != '\t' {
		return "", 0, false
	}
	head, tail := line[:pos], line[pos:]
	start := strings.LastIndexAny(head, " \t") + 1
	word := head[start:]
	choices := sh.completions(strings.Fields(head[:start]), word)
	switch {
	case len(choices) == 0:
		return line, pos, true
	case len(choices) == 1:
		head = head[:start] + choices[0] + " "
		return head + tail, len(head), true
	}
	if p := commonPrefix(choices); len(p) > len(word) {
		head = head[:start] + p
		return head + tail, len(head), true
	}
	sh.backgroundOut().Write([]byte(strings.Join(choices, "  ") + "\n"))
	return line, pos, true
}

// completions returns the sorted words that may follow before (the words
// already typed) and start with word.
func (sh *Shell) completions(before []string, word string) []string {
	var all []string
	if len(before) == 0 {
		for _, c := range sh.Commands() {
			all = append(all, c.Name)
		}
		return withPrefix(all, word)
	}
	c, ok := sh.commands[before[0]]
	if !ok {
		return nil
	}
	usage := c.Usage
	if len(before) > 1 {
		usage = usageBranch(usage, before[1])
	}
	flags, keywords, wantsDev := usageWords(usage)
	prev := before[len(before)-1]
	switch {
	case prev == "dev" || flags[prev] == "IFACE":
		return withPrefix(sh.deviceNames(), word)
	case strings.HasPrefix(word, "-"):
		for f := range flags {
			all = append(all, f)
		}
	case devFirst(c.Usage) && len(before) == 1:
		// "netem IFACE loss P%": the device comes first, its words after.
		all = sh.deviceNames()
	default:
		all = keywords
		if wantsDev && !devFirst(c.Usage) {
			all = append(all, sh.deviceNames()...)
		}
		if c.Words != nil {
			all = append(all, c.Words(sh)...)
		}
	}
	return withPrefix(all, word)
}

// usageWords reads a Usage line: its flags (with the placeholder of the
// value each takes, "" for none), its keywords, and whether it names an
// IFACE on its own (not after dev or a flag).
func usageWords(usage string) (flags map[string]string, keywords []string, wantsDev bool) {
	flags = map[string]string{}
	words := strings.Fields(strings.NewReplacer("[", " ", "]", " ", "|", " ").Replace(usage))
	for i, w := range words {
		switch {
		case usageFlag.MatchString(w):
			flags[w] = ""
			if i+1 < len(words) && strings.ToUpper(words[i+1]) == words[i+1] && !usageFlag.MatchString(words[i+1]) {
				flags[w] = words[i+1]
			}
		case usageKeyword.MatchString(w):
			keywords = append(keywords, w)
		case w == "IFACE" && (i == 0 || words[i-1] != "dev" && !usageFlag.MatchString(words[i-1])):
			wantsDev = true // an IFACE of its own; "dev IFACE", "-I IFACE" follow their word
		}
	}
	return flags, keywords, wantsDev
}

// usageBranch is the part of a Usage line after its sub-command sub, up to
// the next " | " ("udp listen -" offers listen's flags, not send's), or
// the whole line when no branch starts with sub.
func usageBranch(usage, sub string) string {
	for _, branch := range strings.Split(usage, " | ") {
		words := strings.Fields(strings.TrimLeft(branch, "["))
		if len(words) > 0 && words[0] == sub {
			return strings.Join(words[1:], " ")
		}
	}
	return usage
}

// devFirst says whether a Usage line starts with the device
// ("[IFACE [loss P%] ...]"): then only devices come first, and only the
// keywords after one.
func devFirst(usage string) bool {
	return strings.HasPrefix(strings.TrimLeft(usage, "["), "IFACE")
}

func (sh *Shell) deviceNames() []string {
	if sh.Stack == nil {
		return nil
	}
	var names []string
	for _, d := range sh.Stack.Devices() {
		names = append(names, d.Name())
	}
	return names
}

// withPrefix returns the distinct words of all that start with prefix,
// sorted.
func withPrefix(all []string, prefix string) []string {
	seen := map[string]bool{}
	var out []string
	for _, w := range all {
		if strings.HasPrefix(w, prefix) && !seen[w] {
			seen[w] = true
			out = append(out, w)
		}
	}
	sort.Strings(out)
	return out
}

func commonPrefix(words []string) string {
	p := words[0]
	for _, w := range words[1:] {
		for !strings.HasPrefix(w, p) {
			p = p[:len(p)-1]
		}
	}
	return p
}
