// Command loki runs a single-binary Grafana Loki for the integration tests.
// It loads the YAML config the way upstream's cmd/loki does (-config.file plus
// flags), but keeps only what a test server needs: no tracing, profiling or
// health-check sub-commands.
package main

import (
	"flag"
	"fmt"
	"os"
	"time"

	// Register gRPC's proto codec before the OpenTelemetry collector's codec,
	// which falls back to it and panics when it is missing (import order matters).
	_ "google.golang.org/grpc/encoding/proto"

	"github.com/go-kit/log/level"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/grafana/loki/v3/pkg/loki"
	lokiruntime "github.com/grafana/loki/v3/pkg/runtime"
	"github.com/grafana/loki/v3/pkg/util/cfg"
	utillog "github.com/grafana/loki/v3/pkg/util/log"
	"github.com/grafana/loki/v3/pkg/validation"
)

func fail(stage string, err error) {
	level.Error(utillog.Logger).Log("msg", stage, "err", err)
	fmt.Fprintf(os.Stderr, "loki: %s: %v\n", stage, err)
	utillog.Flush()
	os.Exit(1)
}

func main() {
	exitWithParent()
	started := time.Now()

	var config loki.ConfigWrapper
	if err := cfg.DynamicUnmarshal(&config, os.Args[1:], flag.CommandLine); err != nil {
		fmt.Fprintf(os.Stderr, "loki: parsing config: %v\n", err)
		os.Exit(1)
	}

	// Per-tenant limits default to the global values only after these calls.
	config.LimitsConfig.SetGlobalOTLPConfig(config.Distributor.OTLPConfig)
	if err := config.LimitsConfig.SetDefaultPolicyStreamMapping(config.Distributor.DefaultPolicyStreamMappings); err != nil {
		fail("setting default policy stream mappings", err)
	}
	validation.SetDefaultLimitsForYAMLUnmarshalling(config.LimitsConfig)
	lokiruntime.SetDefaultLimitsForYAMLUnmarshalling(config.OperationalConfig)

	config.Server.Log = utillog.InitLogger(&config.Server, prometheus.DefaultRegisterer, false)
	if config.InternalServer.Enable {
		config.InternalServer.Log = config.Server.Log
	}

	if err := config.Validate(); err != nil {
		fail("validating config", err)
	}

	server, err := loki.New(config.Config)
	if err != nil {
		fail("initialising loki", err)
	}
	level.Info(utillog.Logger).Log("msg", "starting test loki", "config", config.ConfigFile)
	if err := server.Run(loki.RunOpts{StartTime: started}); err != nil {
		fail("running loki", err)
	}
	utillog.Flush()
}
