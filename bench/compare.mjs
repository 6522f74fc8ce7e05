// npm run bench:compare -- BASELINE_DIST [CANDIDATE_DIST]
//
// Is a change faster? Two full benchmark runs a minute apart cannot tell: this machine's speed
// drifts by up to 2× within minutes. This runs the baseline build, the candidate build and the
// ceiling loop in one process, one core, alternating chunks of a few thousand Events, so each
// comparison is between runs a second apart; it prints the median and quartiles of
// candidate / baseline over the chunks.
//
// BASELINE_DIST and CANDIDATE_DIST are compiled trees (`tsc` output, like dist/); the candidate
// defaults to dist/. A baseline from another commit:
//   git worktree add /tmp/base <commit> && ln -s "$PWD/node_modules" /tmp/base/ && (cd /tmp/base && npx tsc -p tsconfig.build.json)
//   npm run bench:compare -- /tmp/base/dist
// Environment: COMPARE_CHUNK (Events per chunk, 20000), COMPARE_ROUNDS (41; the first is warm-up),
// COMPARE_CONFIG (a config file both builds load, such as bench/route-heavy.yaml; default: everything to stdout).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundle } from '../scripts/bundle.mjs';

const here = (relative) => fileURLToPath(new URL(relative, import.meta.url));
const NODE_FLAGS = ['--max-semi-space-size=2', '--max-old-space-size=192'];

/** Points the workload's `../dist/…` imports at another compiled tree. */
function distAt(dir) {
  return {
    name: 'dist-at',
    setup(b) {
      b.onResolve({ filter: /^\.\.\/dist\// }, (args) => ({ path: resolve(dir, args.path.slice('../dist/'.length)) }));
    },
  };
}

async function main() {
  const [baselineArg, candidateArg = here('../dist')] = process.argv.slice(2);
  if (!baselineArg) throw new Error('usage: npm run bench:compare -- BASELINE_DIST [CANDIDATE_DIST]');
  const builds = { baseline: resolve(baselineArg), candidate: resolve(candidateArg) };
  for (const [name, dir] of Object.entries(builds)) {
    if (!existsSync(resolve(dir, 'exporter.js'))) throw new Error(`${name} ${dir}: no exporter.js there; give a compiled tree such as dist/`);
    // A tree outside this checkout finds its packages in this checkout's node_modules.
    await bundle({
      entry: here('workload.mjs'),
      outfile: here(`../.cache/compare/${name}.mjs`),
      sourcemap: false,
      plugins: [distAt(dir)],
      nodePaths: [here('../node_modules')],
    });
  }
  const oneCore = spawnSync('taskset', ['-c', '0', 'true']).status === 0;
  const args = [...NODE_FLAGS, here('compare.mjs'), '--run'];
  const [cmd, argv] = oneCore ? ['taskset', ['-c', '0', process.execPath, ...args]] : [process.execPath, args];
  console.log(
    `baseline ${builds.baseline}\ncandidate ${builds.candidate}\n${oneCore ? 'one core (taskset -c 0)' : 'NOT pinned: taskset missing'}, ${NODE_FLAGS.join(' ')}`,
  );
  execFileSync(cmd, argv, { stdio: 'inherit' });
}

async function run() {
  const chunk = Number(process.env.COMPARE_CHUNK ?? 20_000);
  const rounds = Number(process.env.COMPARE_ROUNDS ?? 41);
  const baseline = await import(here('../.cache/compare/baseline.mjs'));
  const candidate = await import(here('../.cache/compare/candidate.mjs'));
  const subjects = { ceiling: baseline.ceilingLoop(), baseline: baseline.exporterPipeline(), candidate: candidate.exporterPipeline() };
  const line = baseline.watchLines(here('../test/fixtures/events/real-events.jsonl'));
  const rates = { ceiling: [], baseline: [], candidate: [] };
  let next = 0; // every chunk gets Events never seen before, as in the full benchmark
  for (let round = 0; round < rounds; round++) {
    for (const [name, subject] of Object.entries(subjects)) {
      const start = process.hrtime.bigint();
      for (let end = next + chunk; next < end; next++) {
        const pending = subject.take(line(next));
        if (pending) await pending;
      }
      await subject.flush();
      if (round > 0) rates[name].push(chunk / (Number(process.hrtime.bigint() - start) / 1e9));
    }
  }
  const quartiles = (values) => {
    const s = [...values].sort((a, b) => a - b);
    const at = (q) => s[Math.min(s.length - 1, Math.round(q * (s.length - 1)))];
    return [at(0.25), at(0.5), at(0.75)];
  };
  const pct = (x) => `${(x * 100).toFixed(1)} %`;
  console.log(`${rounds - 1} chunks of ${chunk.toLocaleString('en')} Events each (after one warm-up round)\n`);
  console.log('| | events/s (median) | / ceiling (median) | / baseline: q1, median, q3 |\n|---|---:|---:|---|');
  for (const [name, values] of Object.entries(rates)) {
    const ratio = (other) => values.map((v, i) => v / rates[other][i]);
    const [q1, med, q3] = quartiles(ratio('baseline'));
    console.log(
      `| ${name} | ${Math.round(quartiles(values)[1]).toLocaleString('en')} | ${pct(quartiles(ratio('ceiling'))[1])} | ${pct(q1)}, **${pct(med)}**, ${pct(q3)} |`,
    );
  }
}

await (process.argv.includes('--run') ? run() : main());
