// Command kube-harness is the one binary behind the integration-test harness:
//
//	kube-harness certs --dir D            CA, serving/admin certs, service-account keys
//	kube-harness etcd --data-dir D ...    an embedded etcd (its own process, so the
//	                                      API server can restart on the same data)
//	kube-harness apiserver <flags>        the real kube-apiserver command
//	kube-harness kubectl <args>           the real kubectl (also when invoked as "kubectl")
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

func main() {
	// A symlink named kubectl makes this binary behave as kubectl, so tests can run it
	// like any kubectl without a second multi-hundred-megabyte link.
	if strings.TrimSuffix(filepath.Base(os.Args[0]), ".exe") == "kubectl" {
		os.Exit(runKubectl(os.Args[1:]))
	}
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: kube-harness certs|etcd|apiserver|kubectl [flags]")
		os.Exit(2)
	}
	sub, args := os.Args[1], os.Args[2:]
	switch sub {
	case "certs":
		os.Exit(runCerts(args))
	case "etcd":
		dieWithParent()
		os.Exit(runEtcd(args))
	case "apiserver":
		dieWithParent()
		os.Exit(runAPIServer(args))
	case "kubectl":
		os.Exit(runKubectl(args))
	default:
		fmt.Fprintf(os.Stderr, "kube-harness: unknown subcommand %q (want certs, etcd, apiserver or kubectl)\n", sub)
		os.Exit(2)
	}
}
