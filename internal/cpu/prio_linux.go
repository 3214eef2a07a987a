package cpu

import "syscall"

// backgroundNice is how much nicer than the process the background
// threads run: under contention the kernel gives a thread of the
// process's own priority about ten times their share, and a waking one
// the core at once.
const backgroundNice = 10

// lowerPriority makes the calling thread backgroundNice nicer than it is
// (on Linux, setpriority with a thread ID acts on that thread alone). It
// never fails the work: without the permission the thread keeps its
// priority.
func lowerPriority() {
	tid := syscall.Gettid()
	raw, err := syscall.Getpriority(syscall.PRIO_PROCESS, tid) // the kernel's 20−nice
	if err != nil {
		return
	}
	_ = syscall.Setpriority(syscall.PRIO_PROCESS, tid, min(19, 20-raw+backgroundNice))
}
