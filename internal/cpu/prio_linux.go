package cpu

import "syscall"

// lowerPriority makes the calling thread by nicer than it is
// (on Linux, setpriority with a thread ID acts on that thread alone). It
// never fails the work: without the permission the thread keeps its
// priority.
func lowerPriority(by int) {
	tid := syscall.Gettid()
	raw, err := syscall.Getpriority(syscall.PRIO_PROCESS, tid) // the kernel's 20−nice
	if err != nil {
		return
	}
	_ = syscall.Setpriority(syscall.PRIO_PROCESS, tid, min(19, 20-raw+by))
}
