package shell

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// Every command the shell has is in README's command table, so a new
// user finds it there (quit was missing).
func TestReadmeTableListsEveryCommand(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]bool{}
	row := regexp.MustCompile("(?m)^\\| .*$")
	word := regexp.MustCompile("`([a-z]+)[ `]")
	for _, r := range row.FindAllString(string(readme), -1) {
		for _, m := range word.FindAllStringSubmatch(r, -1) {
			listed[m[1]] = true
		}
	}
	sh, _ := pipeLab(t)
	for _, c := range sh.Commands() {
		if !listed[c.Name] {
			t.Errorf("%s: not in README's command table", c.Name)
		}
	}
}

// help CMD fits a terminal of 80 columns: no line of a command's help is
// longer (curl's and capture's ran past 100).
func TestHelpFitsEightyColumns(t *testing.T) {
	sh, _ := pipeLab(t)
	for _, c := range sh.Commands() {
		for _, l := range strings.Split(c.Help, "\n") {
			if len(l) > 80 {
				t.Errorf("help %s: a line of %d characters: %q", c.Name, len(l), l)
			}
		}
	}
}
