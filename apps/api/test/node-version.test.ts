import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isSupportedNode, SUPPORTED_NODE } from '../../../tooling/node-version';

describe('the supported Node.js check of the entry points', () => {
  it('states the same range as engines.node, which pnpm enforces', () => {
    const root = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { engines: { node: string } };
    expect(root.engines.node).toBe(SUPPORTED_NODE);
  });

  it('accepts Node 22 from 22.12 and Node 24 and newer', () => {
    for (const version of ['22.12.0', 'v22.23.5', '24.0.0', '24.22.3', '26.1.0']) expect(isSupportedNode(version), version).toBe(true);
  });

  it('refuses Node 20, Node 22 before 22.12 and the odd line 23', () => {
    for (const version of ['20.20.2', 'v20.19.0', '22.11.0', '23.11.1', '18.20.8']) expect(isSupportedNode(version), version).toBe(false);
  });
});
