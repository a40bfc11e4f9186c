// Which hosts a workspace connection may reach. Checked after DNS resolution, so a hostname that
// resolves to a cloud metadata address is refused just like the literal address.
import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

export interface OutboundPolicyConfig {
  /** Loopback (127.0.0.0/8, ::1) is allowed only when true; dev default on, production off. */
  allowLoopback: boolean;
  /** CIDRs or hostnames always allowed (checked before the built-in refusals). */
  allow: string[];
  /** CIDRs or hostnames always refused. */
  deny: string[];
}

export type OutboundDecision =
  | { allowed: true; addresses: string[] }
  | { allowed: false; reason: 'link_local' | 'cloud_metadata' | 'loopback' | 'unspecified' | 'multicast' | 'denied_by_config' | 'dns_failed'; address?: string; message: string };

export class OutboundPolicyError extends Error {
  readonly code = 'outbound_refused';
  constructor(
    readonly decision: Extract<OutboundDecision, { allowed: false }>,
    /** The input field naming the refused host (`host`, or another server of the connection). */
    readonly field = 'host',
  ) {
    super(decision.message);
    this.name = 'OutboundPolicyError';
  }
}

type Family = 'ipv4' | 'ipv6';
type Refusal = Extract<OutboundDecision, { allowed: false }>['reason'];

const builtInRefusals: { cidr: string; reason: Refusal }[] = [
  { cidr: '169.254.169.254/32', reason: 'cloud_metadata' },
  { cidr: '100.100.100.200/32', reason: 'cloud_metadata' },
  { cidr: 'fd00:ec2::254/128', reason: 'cloud_metadata' },
  { cidr: '169.254.0.0/16', reason: 'link_local' },
  { cidr: 'fe80::/10', reason: 'link_local' },
  { cidr: '0.0.0.0/8', reason: 'unspecified' },
  { cidr: '::/128', reason: 'unspecified' },
  { cidr: '224.0.0.0/4', reason: 'multicast' },
  { cidr: 'ff00::/8', reason: 'multicast' },
];
const loopback = ['127.0.0.0/8', '::1/128'];

function parseCidr(cidr: string): { address: string; prefix: number; family: Family } | undefined {
  const [address, prefixText] = cidr.split('/');
  if (!address) return undefined;
  const version = isIP(address);
  if (version === 0) return undefined;
  const family: Family = version === 4 ? 'ipv4' : 'ipv6';
  const prefix = prefixText === undefined ? (version === 4 ? 32 : 128) : Number(prefixText);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > (version === 4 ? 32 : 128)) return undefined;
  return { address, prefix, family };
}

function blockListOf(cidrs: string[]): BlockList {
  const list = new BlockList();
  for (const cidr of cidrs) {
    const parsed = parseCidr(cidr);
    if (parsed) list.addSubnet(parsed.address, parsed.prefix, parsed.family);
  }
  return list;
}

/** The 16 bytes of an IPv6 address (`isIP(address) === 6`), dotted-quad tail included. */
function ipv6Bytes(address: string): number[] | undefined {
  const [text = ''] = address.split('%');
  const quad = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  const groups = (quad ? `${text.slice(0, -quad[1]!.length)}0:0` : text).split('::');
  if (groups.length > 2) return undefined;
  const parse = (part: string | undefined) => (part ? part.split(':').map((g) => Number.parseInt(g, 16)) : []);
  const head = parse(groups[0]);
  const tail = parse(groups[1]);
  const words = groups.length === 2 ? [...head, ...Array<number>(8 - head.length - tail.length).fill(0), ...tail] : head;
  if (words.length !== 8 || words.some((w) => !Number.isInteger(w) || w < 0 || w > 0xffff)) return undefined;
  const bytes = words.flatMap((w) => [w >> 8, w & 0xff]);
  if (quad) bytes.splice(12, 4, ...quad[1]!.split('.').map(Number));
  return bytes;
}

/**
 * The IPv4 address an IPv6 form carries, judged in its place: IPv4-mapped `::ffff:a.b.c.d`,
 * IPv4-translated `::ffff:0:a.b.c.d`, IPv4-compatible `::a.b.c.d`, NAT64 `64:ff9b::/96` and 6to4
 * `2002::/16` all reach the embedded address.
 */
export function embeddedIpv4(address: string): string | undefined {
  const b = ipv6Bytes(address);
  if (b === undefined) return undefined;
  const zero = (from: number, to: number) => b.slice(from, to).every((x) => x === 0);
  const quad = (at: number) => b.slice(at, at + 4).join('.');
  if (b[0] === 0x20 && b[1] === 0x02) return quad(2);
  if (b[0] === 0x00 && b[1] === 0x64 && b[2] === 0xff && b[3] === 0x9b && zero(4, 12)) return quad(12);
  if (zero(0, 10) && b[10] === 0xff && b[11] === 0xff) return quad(12);
  if (zero(0, 8) && b[8] === 0xff && b[9] === 0xff && zero(10, 12)) return quad(12);
  // ::/96 minus :: and ::1, which are IPv6's own unspecified and loopback addresses.
  if (zero(0, 12) && !zero(12, 15)) return quad(12);
  return undefined;
}

export function isValidPolicyEntry(entry: string): boolean {
  return parseCidr(entry) !== undefined || /^(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/i.test(entry);
}

function hostMatches(host: string, pattern: string): boolean {
  const h = host.toLowerCase();
  const p = pattern.toLowerCase();
  return p.startsWith('*.') ? h.endsWith(p.slice(1)) : h === p;
}

export type Resolver = (host: string) => Promise<string[]>;

const systemResolver: Resolver = async (host) => (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);

export class OutboundPolicy {
  readonly #allowHosts: string[];
  readonly #denyHosts: string[];
  readonly #allowList: BlockList;
  readonly #denyList: BlockList;
  readonly #refusals: { list: BlockList; reason: Refusal }[];
  readonly #loopback = blockListOf(loopback);

  constructor(
    readonly config: OutboundPolicyConfig,
    private readonly resolve: Resolver = systemResolver,
  ) {
    for (const entry of [...config.allow, ...config.deny]) {
      if (!isValidPolicyEntry(entry)) throw new TypeError(`outbound policy entry "${entry}" is neither a CIDR nor a hostname`);
    }
    this.#allowHosts = config.allow.filter((e) => parseCidr(e) === undefined);
    this.#denyHosts = config.deny.filter((e) => parseCidr(e) === undefined);
    this.#allowList = blockListOf(config.allow);
    this.#denyList = blockListOf(config.deny);
    this.#refusals = builtInRefusals.map(({ cidr, reason }) => ({ list: blockListOf([cidr]), reason }));
  }

  /**
   * Decisions on addresses written as such (no DNS involved): a function of the configuration alone,
   * which never changes, so each is made once. Bounded; host names are resolved every time.
   */
  readonly #literalDecisions = new Map<string, OutboundDecision>();

  /** Resolves `host` and decides; every resolved address must pass. */
  async check(host: string): Promise<OutboundDecision> {
    const known = this.#literalDecisions.get(host);
    if (known) return known;
    const decision = await this.#decide(host);
    if (isIP(host.replace(/^\[(.*)\]$/, '$1')) && this.#literalDecisions.size < 10_000) this.#literalDecisions.set(host, decision);
    return decision;
  }

  async #decide(host: string): Promise<OutboundDecision> {
    const bare = host.replace(/^\[(.*)\]$/, '$1');
    if (this.#denyHosts.some((p) => hostMatches(bare, p))) {
      return { allowed: false, reason: 'denied_by_config', message: `Host ${bare} is denied by the outbound policy` };
    }
    const hostAllowed = this.#allowHosts.some((p) => hostMatches(bare, p));
    let addresses: string[];
    try {
      addresses = isIP(bare) ? [bare] : await this.resolve(bare);
    } catch {
      return { allowed: false, reason: 'dns_failed', message: `Host ${bare} could not be resolved` };
    }
    if (addresses.length === 0) return { allowed: false, reason: 'dns_failed', message: `Host ${bare} could not be resolved` };
    for (const address of addresses) {
      const family: Family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
      const embedded = family === 'ipv6' ? embeddedIpv4(address) : undefined;
      const refusal = this.#decideAddress(bare, address, family, hostAllowed) ?? (embedded === undefined ? undefined : this.#decideAddress(bare, embedded, 'ipv4', hostAllowed));
      if (refusal) return { ...refusal, address };
    }
    return { allowed: true, addresses };
  }

  async assertAllowed(host: string): Promise<string[]> {
    const decision = await this.check(host);
    if (!decision.allowed) throw new OutboundPolicyError(decision);
    return decision.addresses;
  }

  #decideAddress(host: string, address: string, family: Family, hostAllowed: boolean): Extract<OutboundDecision, { allowed: false }> | undefined {
    const shown = host === address ? address : `${host} (${address})`;
    if (this.#denyList.check(address, family)) {
      return { allowed: false, reason: 'denied_by_config', address, message: `Host ${shown} is denied by the outbound policy` };
    }
    if (hostAllowed || this.#allowList.check(address, family)) return undefined;
    for (const { list, reason } of this.#refusals) {
      if (list.check(address, family)) {
        const what = reason === 'cloud_metadata' ? 'a cloud metadata address' : reason === 'link_local' ? 'a link-local address' : `a ${reason} address`;
        return { allowed: false, reason, address, message: `Host ${shown} is ${what}; database connections there are refused` };
      }
    }
    if (!this.config.allowLoopback && this.#loopback.check(address, family)) {
      return { allowed: false, reason: 'loopback', address, message: `Host ${shown} is a loopback address, which this server does not allow` };
    }
    return undefined;
  }
}

/** The OUTBOUND_* variables (read by env.ts) as the policy every process that opens workspace connections uses. */
export function outboundPolicyFromEnv(env: { OUTBOUND_ALLOW_LOOPBACK: boolean; OUTBOUND_ALLOW: string[]; OUTBOUND_DENY: string[] }): OutboundPolicy {
  return new OutboundPolicy({ allowLoopback: env.OUTBOUND_ALLOW_LOOPBACK, allow: env.OUTBOUND_ALLOW, deny: env.OUTBOUND_DENY });
}
