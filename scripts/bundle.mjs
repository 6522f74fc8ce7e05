// Bundles the exporter into the one file the image runs: dist/kube-eventline.mjs. The demo's
// simulated cluster goes into a file of its own, dist/kube-eventline-demo.mjs, which the command
// loads only for `kube-eventline demo`: the exporter's process never parses it.
//
// Why a bundle: a Node process pays in memory for every module it parses, used or not. The
// unbundled exporter loads all of @kubernetes/client-node, whose KubeConfig module imports the
// whole generated API (~870 modules) for two small helpers: that alone is ~60 MiB of the
// resident set. esbuild keeps what is reachable, and with whitespace and syntax minified
// (identifiers are not shortened, so stack traces still read) the parsed source shrinks further.
//
// Not supported in the bundle: pino transports (thread-stream finds its worker files through
// __dirname, which an ESM bundle lacks). The exporter uses none; one added later needs its files
// shipped beside the bundle.
//
//   node scripts/bundle.mjs                     dist/cli.js → dist/kube-eventline.mjs (+ kube-eventline-demo.mjs, -timeline.mjs, -digest.mjs)
//   bundle({ entry, outfile })                  the benchmarks bundle their drivers the same way

import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

/**
 * client-node's config.js imports `createConfiguration` and `ServerConfiguration` from its
 * generated API's index, which evaluates every API and model class. Point that one import at
 * the two modules that define them. If a client-node upgrade imports anything else from the
 * index, esbuild fails with "No matching export", so this cannot go wrong silently.
 */
const kubeConfigWithoutGeneratedApi = {
  name: 'kube-config-without-generated-api',
  setup(b) {
    b.onResolve({ filter: /^\.\/gen\/index\.js$/ }, (args) => {
      if (!/[\\/]@kubernetes[\\/]client-node[\\/]dist[\\/]config\.js$/.test(args.importer)) return undefined;
      return { path: 'client-node-gen-subset', namespace: 'kube-eventline', pluginData: dirname(args.importer) };
    });
    b.onLoad({ filter: /^client-node-gen-subset$/, namespace: 'kube-eventline' }, (args) => ({
      contents: "export { createConfiguration } from './gen/configuration.js';\nexport { ServerConfiguration } from './gen/servers.js';\n",
      resolveDir: args.pluginData,
      loader: 'js',
    }));
  },
};

/**
 * The demo's simulated cluster never goes into a bundle: the demo's import() of it loads
 * kube-eventline-demo.mjs from beside the bundle. Two self-contained files rather than esbuild's
 * code splitting, whose runtime chunk the exporter's file would then need beside it.
 */
export const DEMO_FILE = 'kube-eventline-demo.mjs';
const demoApart = {
  name: 'demo-apart',
  setup(b) {
    b.onResolve({ filter: /^\.\/simulated-cluster\.js$/ }, (args) =>
      /[\\/]demo[\\/]run-demo\.js$/.test(args.importer) ? { path: `./${DEMO_FILE}`, external: true } : undefined,
    );
  },
};

/**
 * `kube-eventline timeline` likewise: cli.js loads it with import() from its own file, so the
 * exporter's bundle does not carry the renderer.
 */
export const TIMELINE_FILE = 'kube-eventline-timeline.mjs';
const timelineApart = {
  name: 'timeline-apart',
  setup(b) {
    b.onResolve({ filter: /^\.\/timeline\/command\.js$/ }, (args) =>
      /[\\/]cli\.js$/.test(args.importer) ? { path: `./${TIMELINE_FILE}`, external: true } : undefined,
    );
  },
};

/** `kube-eventline digest` too: its own file, loaded with import() by cli.js. */
export const DIGEST_FILE = 'kube-eventline-digest.mjs';
const digestApart = {
  name: 'digest-apart',
  setup(b) {
    b.onResolve({ filter: /^\.\/digest\/command\.js$/ }, (args) =>
      /[\\/]cli\.js$/.test(args.importer) ? { path: `./${DIGEST_FILE}`, external: true } : undefined,
    );
  },
};

/**
 * Modules that dependencies require inside try/catch and run fine without (node-fetch's
 * `encoding`, debug's `supports-color`); they are not installed, so they stay outside.
 */
export const optionalMissing = ['encoding', 'supports-color'];

export async function bundle({ entry, outfile, sourcemap = true, plugins = [], nodePaths = [] }) {
  const result = await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    minifyWhitespace: true,
    minifySyntax: true,
    sourcemap: sourcemap ? 'linked' : false,
    legalComments: 'none', // the licences go whole into <outfile>.licenses.txt instead
    metafile: true,
    logLevel: 'warning',
    plugins: [kubeConfigWithoutGeneratedApi, demoApart, timelineApart, digestApart, ...plugins],
    nodePaths,
    external: optionalMissing,
    // CommonJS dependencies (pino, prom-client…) call require() for Node's built-ins.
    banner: { js: "import { createRequire as __kubeEventlineRequire } from 'node:module'; const require = __kubeEventlineRequire(import.meta.url);" },
  });
  const notices = licenceNotices(result.metafile);
  if (notices) writeFileSync(`${outfile}.licenses.txt`, notices);
  // What went in and what stays outside, for the tests (test/unit/bundle.test.ts) and for anyone curious.
  writeFileSync(`${outfile}.meta.json`, JSON.stringify(result.metafile));
  return result.metafile;
}

/** The licence text of every package the bundle contains: shipping their code means shipping these. */
function licenceNotices(metafile) {
  const packages = new Map();
  for (const input of Object.keys(metafile.inputs)) {
    const match = /^(.*node_modules[\\/]((?:@[^\\/]+[\\/])?[^\\/]+))[\\/]/.exec(input);
    if (match) packages.set(match[1], match[2]); // by directory: two versions of one package are two entries
  }
  if (packages.size === 0) return undefined; // the demo's file: nothing but its own code
  const sections = [...packages]
    .sort(([a, x], [b, y]) => x.localeCompare(y) || a.localeCompare(b))
    .map(([dir, name]) => {
      const { version, license } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
      const file = readdirSync(dir).find((f) => /^(licen[cs]e|copying)(\.|$)/i.test(f));
      const text = file ? readFileSync(join(dir, file), 'utf8').trim() : `(no licence file in the package; package.json says ${license})`;
      return `${name}@${version} (${license})\n\n${text}\n`;
    });
  return `Third-party software bundled in kube-eventline\n\n${sections.join(`\n${'-'.repeat(72)}\n\n`)}`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const root = new URL('..', import.meta.url);
  await bundle({
    entry: fileURLToPath(new URL('dist/cli.js', root)),
    outfile: fileURLToPath(new URL('dist/kube-eventline.mjs', root)),
  });
  await bundle({
    entry: fileURLToPath(new URL('dist/demo/simulated-cluster.js', root)),
    outfile: fileURLToPath(new URL(`dist/${DEMO_FILE}`, root)),
  });
  await bundle({
    entry: fileURLToPath(new URL('dist/timeline/command.js', root)),
    outfile: fileURLToPath(new URL(`dist/${TIMELINE_FILE}`, root)),
  });
  await bundle({
    entry: fileURLToPath(new URL('dist/digest/command.js', root)),
    outfile: fileURLToPath(new URL(`dist/${DIGEST_FILE}`, root)),
  });
}
