package main

import "testing"

func TestServerPort(t *testing.T) {
	tests := []struct {
		args []string
		env  string
		want int
		bad  bool
	}{
		{args: nil, want: 8080},
		{args: nil, env: "3999", want: 3999},
		{args: []string{"3020"}, env: "3999", want: 3020},
		{args: []string{"0"}, want: 0},
		{args: []string{"65536"}, bad: true},
		{args: []string{"-1"}, bad: true},
		{args: []string{"http"}, bad: true},
		{args: nil, env: "x", bad: true},
		{args: []string{"1", "2"}, bad: true},
	}
	for _, tc := range tests {
		t.Setenv("PORT", tc.env)
		got, err := serverPort(tc.args)
		if (err != nil) != tc.bad || (!tc.bad && got != tc.want) {
			t.Errorf("serverPort(%q) with PORT=%q = %d, %v", tc.args, tc.env, got, err)
		}
	}
}

// Natively a server without --allow-root would have nowhere to run: it
// refuses to start (exit 2) rather than defaulting to a host directory.
func TestServerNeedsRootNatively(t *testing.T) {
	if code := run([]string{"--server", "0"}); code != exitUsage {
		t.Fatalf("exit %d, want %d", code, exitUsage)
	}
}
