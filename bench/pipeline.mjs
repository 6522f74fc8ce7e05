// One benchmark run in its own process, so its peak RSS is its own. Prints one JSON object.
// bench/run.mjs bundles this file the way scripts/bundle.mjs bundles the exporter, so the
// process loads what the image's process loads.
// Usage: node pipeline.mjs exporter|ceiling EVENTS EVENTS_FILE
// The rest of what the command bundles (CLI, HTTP server, leader election, diagnostics, the demo's
// narration), referenced so the bundler keeps it: the process then parses as much code as the
// image's does. The demo's simulated cluster stays out, as it does of the image's bundle.
import { runDemo } from '../dist/demo/run-demo.js';
import { createDiagnostics } from '../dist/diagnostics.js';
import { LeaseElector } from '../dist/leader/lease-elector.js';
import { runExporter } from '../dist/run.js';
import { startHttpServer } from '../dist/serve/http-server.js';
import { ceilingLoop, exporterPipeline, watchLines } from './workload.mjs';

globalThis.kubeEventlineBenchKeep = [runDemo, createDiagnostics, LeaseElector, runExporter, startHttpServer];

const [mode, eventsArg, eventsFile] = process.argv.slice(2);
const total = Number(eventsArg);
const line = watchLines(eventsFile);
const start = process.hrtime.bigint();
const subject = mode === 'ceiling' ? ceilingLoop() : exporterPipeline();
for (let i = 0; i < total; i++) {
  const pending = subject.take(line(i));
  if (pending) await pending;
}
await subject.flush();
const seconds = Number(process.hrtime.bigint() - start) / 1e9;
process.stdout.write(
  `${JSON.stringify({ mode, events: total, seconds, eventsPerSecond: total / seconds, peakRssMiB: process.resourceUsage().maxRSS / 1024 })}\n`,
);
