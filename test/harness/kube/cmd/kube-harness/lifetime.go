package main

import (
	"os"
	"syscall"
)

// dieWithParent asks the kernel to send SIGTERM when the test runner that started
// this server dies, even by SIGKILL, so no etcd or API server outlives a test run.
func dieWithParent() {
	parent := os.Getppid()
	_, _, errno := syscall.RawSyscall(syscall.SYS_PRCTL, syscall.PR_SET_PDEATHSIG, uintptr(syscall.SIGTERM), 0)
	if errno != 0 {
		return
	}
	// The parent may have died before prctl took effect.
	if os.Getppid() != parent {
		os.Exit(1)
	}
}
