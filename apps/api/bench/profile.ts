// `pnpm --filter @studio/api bench:profile <file.cpuprofile> [top]`: where a V8 CPU profile's time
// went, by owner (a package, Node's own modules, this repo's folders, native work such as writev or
// the garbage collector) and by function (self time). The reading of the API's profiles in the
// README was made with it; the profiles themselves are not committed.
import { readFileSync } from 'node:fs';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface Profile {
  nodes: { id: number; callFrame: CallFrame }[];
  samples: number[];
  timeDeltas: number[];
}

const [file, topArg] = process.argv.slice(2);
if (!file) {
  console.error('usage: bench:profile <file.cpuprofile> [top]');
  process.exit(2);
}
const top = Number(topArg ?? 25);
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;

const selfUs = new Map<number, number>();
profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));

/** The package (`@trpc/server`, `pg`), `node:http`-style module, repo folder, or the native frame's name. */
function ownerOf(frame: CallFrame): string {
  const { url } = frame;
  if (url === '') return `(native) ${frame.functionName || '(anonymous)'}`;
  const pkg = /node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  if (url.startsWith('node:')) return url;
  const repo = /\/(apps\/[^/]+\/src|packages\/[^/]+\/src|apps\/[^/]+\/bench)\//.exec(url);
  return repo ? repo[1]! : url;
}

function frameOf(frame: CallFrame): string {
  const where = frame.url === '' ? '' : ` ${frame.url.replace(/^.*\/(node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?|apps\/|packages\/)/, '')}:${frame.lineNumber + 1}`;
  return `${frame.functionName || '(anonymous)'}${where}`;
}

const byOwner = new Map<string, number>();
const byFrame = new Map<string, number>();
let total = 0;
let idle = 0;
for (const node of profile.nodes) {
  const us = selfUs.get(node.id) ?? 0;
  if (us === 0) continue;
  total += us;
  if (node.callFrame.functionName === '(idle)') {
    idle += us;
    continue;
  }
  const owner = ownerOf(node.callFrame);
  byOwner.set(owner, (byOwner.get(owner) ?? 0) + us);
  const frame = frameOf(node.callFrame);
  byFrame.set(frame, (byFrame.get(frame) ?? 0) + us);
}
const busy = total - idle;

function print(title: string, table: Map<string, number>): void {
  console.log(`\n${title}`);
  for (const [name, us] of [...table].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(`${((100 * us) / busy).toFixed(1).padStart(6)} %  ${(us / 1000).toFixed(0).padStart(7)} ms  ${name}`);
  }
}

console.log(`${file}: ${(total / 1e6).toFixed(1)} s sampled, ${(busy / 1e6).toFixed(1)} s busy (${((100 * busy) / total).toFixed(0)} %); shares below are of busy time`);
print('by owner (self time)', byOwner);
print('by function (self time)', byFrame);
