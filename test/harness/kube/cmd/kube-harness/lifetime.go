package main

import (
	"os"
	"syscall"
)

// dieWithParent asks the kernel to kill this server when the test runner that
// started it dies, even by SIGKILL, so no etcd or API server outlives a test run.
// SIGKILL, not SIGTERM: etcd may go first, and the API server's graceful shutdown
// then hangs on its etcd calls; the run's data is disposable anyway.
func dieWithParent() {
	parent := os.Getppid()
	_, _, errno := syscall.RawSyscall(syscall.SYS_PRCTL, syscall.PR_SET_PDEATHSIG, uintptr(syscall.SIGKILL), 0)
	if errno != 0 {
		return
	}
	// The parent may have died before prctl took effect.
	if os.Getppid() != parent {
		os.Exit(1)
	}
}
