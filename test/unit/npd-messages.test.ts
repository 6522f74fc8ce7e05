// NPD v0.8.20 hands every Event message to client-go's Eventf as the format string
// (pkg/exporters/k8sexporter/k8s_exporter.go), so a percent sign in a text it reports turns into
// fmt noise: "90%: 1" reaches the Event as "90%!:(MISSING) 1". test/integration/npd.test.ts found
// this with the real NPD; these checks keep the texts we write free of it.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoPath } from '../support/real-events.js';

const configDir = repoPath('npd', 'config');
const pluginDir = repoPath('npd', 'plugin');

describe('texts NPD turns into Event messages hold no percent sign', () => {
  it.each(readdirSync(configDir).filter((f) => f.endsWith('.json')))('condition messages of npd/config/%s', (file) => {
    const config = JSON.parse(readFileSync(join(configDir, file), 'utf8')) as { conditions?: Array<{ type: string; message: string }> };
    const withPercent = (config.conditions ?? []).filter((c) => c.message.includes('%')).map((c) => `${c.type}: ${c.message}`);
    expect(withPercent).toEqual([]);
  });

  it.each(readdirSync(pluginDir).filter((f) => f.endsWith('.sh')))('what npd/plugin/%s echoes', (file) => {
    const lines = readFileSync(join(pluginDir, file), 'utf8').split('\n');
    const withPercent = lines.flatMap((line, i) => (/^\s*echo\s/.test(line) && line.includes('%') ? [`${file}:${i + 1}: ${line.trim()}`] : []));
    expect(withPercent).toEqual([]);
  });
});
