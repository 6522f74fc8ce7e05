// The jsonnet engine of the mixin (jsonnet/ -> dashboards/, rules/): go-jsonnet's own
// jsonnet, jsonnetfmt and jsonnet-lint, built from Go modules by scripts/go-build.mjs
// (cached under .cache/tools/). No C or C++ compiler: CGO_ENABLED=0.
module kube-eventline/tools/jsonnet

go 1.24.5

tool (
	github.com/google/go-jsonnet/cmd/jsonnet
	github.com/google/go-jsonnet/cmd/jsonnet-lint
	github.com/google/go-jsonnet/cmd/jsonnetfmt
)

require (
	github.com/fatih/color v1.18.0 // indirect
	github.com/google/go-jsonnet v0.22.0 // indirect
	github.com/mattn/go-colorable v0.1.13 // indirect
	github.com/mattn/go-isatty v0.0.20 // indirect
	golang.org/x/crypto v0.45.0 // indirect
	golang.org/x/sys v0.38.0 // indirect
	sigs.k8s.io/yaml v1.4.0 // indirect
)
