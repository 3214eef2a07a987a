//go:build !linux

package cpu

// lowerPriority does nothing outside Linux, where thread priorities are
// not set per thread the same way.
func lowerPriority(int) {}
