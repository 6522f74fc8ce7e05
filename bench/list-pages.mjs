// node bench/list-pages.mjs (after npm run build)
//
// What a list page costs to parse: JSON.parse (the fast path, pages up to 4 Mi characters) against
// the streaming decoder (src/watch/event-json-decoder.ts: larger pages, long watch lines), on a page
// of 500 real Events (test/fixtures/events/real-events.jsonl) fed in 64 KiB pieces as a network
// would, and on a page of 20 Events with 1.4 MiB messages. Prints MB/s and Events/s, medians of 15 runs.
import { readFileSync } from 'node:fs';
import { EventJsonDecoder } from '../dist/watch/event-json-decoder.js';

const events = readFileSync(new URL('../test/fixtures/events/real-events.jsonl', import.meta.url), 'utf8')
  .trim()
  .split('\n')
  .map((l) => JSON.parse(l));
const page = (items) => JSON.stringify({ kind: 'EventList', apiVersion: 'v1', metadata: { resourceVersion: '1' }, items });
const small = page(
  Array.from({ length: 500 }, (_, i) => ({ ...events[i % events.length], metadata: { ...events[i % events.length].metadata, uid: `u${i}` } })),
);
const large = page(
  Array.from({ length: 20 }, (_, i) => ({
    ...events[0],
    metadata: { ...events[0].metadata, uid: `l${i}` },
    message: 'Back-off <pulling> image; '.repeat(56_000),
  })),
);
const pieces = (text) => Array.from({ length: Math.ceil(text.length / 65_536) }, (_, i) => text.slice(i * 65_536, (i + 1) * 65_536));

const parsers = {
  'JSON.parse': (chunks) => JSON.parse(chunks.join('')).items.length,
  EventJsonDecoder: (chunks) => {
    const decoder = new EventJsonDecoder(3, 65_536);
    for (const chunk of chunks) decoder.write(chunk);
    return decoder.end().items.length;
  },
};
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
console.log('| page | parser | MB/s | Events/s |\n|---|---|---:|---:|');
for (const [name, text] of Object.entries({ '500 real Events': small, '20 Events of 1.4 MiB': large })) {
  const chunks = pieces(text);
  for (const [parser, parse] of Object.entries(parsers)) {
    const seconds = [];
    let items = 0;
    for (let run = 0; run < 16; run++) {
      const start = process.hrtime.bigint();
      items = parse(chunks);
      if (run > 0) seconds.push(Number(process.hrtime.bigint() - start) / 1e9);
    }
    const s = median(seconds);
    console.log(
      `| ${name} (${(text.length / 1e6).toFixed(1)} MB) | ${parser} | ${(text.length / s / 1e6).toFixed(0)} | ${Math.round(items / s).toLocaleString('en')} |`,
    );
  }
}
