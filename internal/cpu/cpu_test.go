package cpu

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"sync"
	"testing"
)

// runners are the two entry points with the number of functions each
// runs at once.
var runners = []struct {
	name  string
	run   func(context.Context, func()) error
	limit func() int
}{{"Run", Run, Slots}, {"RunWriter", RunWriter, func() int { return 1 }}}

// fill runs limit functions at once through run, each waiting for
// release, and returns once all have started: it hangs if run cannot
// run that many at once. wait waits for them to return.
func fill(t *testing.T, run func(context.Context, func()) error, limit int) (release func(), wait func()) {
	t.Helper()
	started := make(chan struct{})
	released := make(chan struct{})
	var wg sync.WaitGroup
	for range limit {
		wg.Go(func() {
			if err := run(context.Background(), func() {
				started <- struct{}{}
				<-released
			}); err != nil {
				t.Error(err)
			}
		})
	}
	for range limit {
		<-started
	}
	return func() { close(released) }, wg.Wait
}

// checkedCtx reports, by closing checked, the first time Run asks it
// whether it has ended.
type checkedCtx struct {
	context.Context
	once    sync.Once
	checked chan struct{}
}

func (c *checkedCtx) Err() error {
	err := c.Context.Err()
	c.once.Do(func() { close(c.checked) })
	return err
}

// TestRunCancelledWaiting checks that a Run waiting for a slot, all of
// them taken, returns the cause its context ends with and never runs its
// function, and that every slot can be taken at once.
func TestRunCancelledWaiting(t *testing.T) {
	for _, tt := range runners {
		t.Run(tt.name, func(t *testing.T) {
			release, wait := fill(t, tt.run, tt.limit())
			cause := errors.New("feed removed")
			parent, cancel := context.WithCancelCause(context.Background())
			ctx := &checkedCtx{Context: parent, checked: make(chan struct{})}
			ran := make(chan struct{}, 1)
			errc := make(chan error, 1)
			go func() { errc <- tt.run(ctx, func() { ran <- struct{}{} }) }()
			<-ctx.checked // past the first check: only ctx.Done can free it
			cancel(cause)
			err := <-errc
			release()
			wait()
			if !errors.Is(err, cause) {
				t.Errorf("%s waiting for a slot, cancelled: err %v, want %v", tt.name, err, cause)
			}
			select {
			case <-ran:
				t.Errorf("%s ran its function after its context ended", tt.name)
			default:
			}
			if len(slots) != 0 || len(writer) != 0 {
				t.Errorf("%d slots and %d writer slots not given back", len(slots), len(writer))
			}
		})
	}
}

// TestRunGoexit checks that Run returns when its function ends its
// goroutine with runtime.Goexit, and that every slot still runs work
// afterwards, at once.
func TestRunGoexit(t *testing.T) {
	for _, tt := range runners {
		t.Run(tt.name, func(t *testing.T) {
			for range tt.limit() + 1 { // every worker, and one replacement
				after := false
				if err := tt.run(context.Background(), func() {
					runtime.Goexit()
					after = true
				}); err != nil {
					t.Fatal(err)
				}
				if after {
					t.Fatal("function went on after runtime.Goexit")
				}
			}
			release, wait := fill(t, tt.run, tt.limit())
			release()
			wait()
		})
	}
}

// TestRunPanic checks that a panic in Run's function crashes the process,
// printing the function's stack, and that Run never returns to its
// caller with the function half done. The crash runs in a child process.
func TestRunPanic(t *testing.T) {
	if os.Getenv("CPU_TEST_PANIC") != "" {
		err := Run(context.Background(), panicInside)
		fmt.Printf("Run returned %v\n", err)
		os.Exit(0)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestRunPanic$")
	cmd.Env = append(os.Environ(), "CPU_TEST_PANIC=1")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 2 {
		t.Errorf("child exited with %v, want exit status 2 (a Go panic); stderr:\n%s", err, stderr.Bytes())
	}
	if bytes.Contains(stdout.Bytes(), []byte("Run returned")) {
		t.Error("Run returned to its caller after its function panicked")
	}
	for _, want := range []string{"panic: pressfeed test panic", "cpu.panicInside("} {
		if !bytes.Contains(stderr.Bytes(), []byte(want)) {
			t.Errorf("child's stderr lacks %q:\n%s", want, stderr.Bytes())
		}
	}
}

//go:noinline
func panicInside() { panic("pressfeed test panic") }
