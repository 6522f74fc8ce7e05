package main

import (
	"os"
	"syscall"
)

// exitWithParent asks the kernel to kill Loki when the test runner that started it dies,
// even by SIGKILL, so no Loki outlives a test run (its data is disposable).
func exitWithParent() {
	parent := os.Getppid()
	if _, _, errno := syscall.RawSyscall(syscall.SYS_PRCTL, syscall.PR_SET_PDEATHSIG, uintptr(syscall.SIGKILL), 0); errno != 0 {
		return
	}
	if os.Getppid() != parent { // the runner died before prctl took effect
		os.Exit(1)
	}
}
