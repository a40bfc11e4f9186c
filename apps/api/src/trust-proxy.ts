// Which proxies in front of this process are believed about the client's address. X-Forwarded-For
// grows from the left: every proxy appends the address it received the request from, so only the
// entries added by our own proxies (the rightmost ones) are trustworthy; the leftmost is whatever
// the client wrote. The address is read from the right past the trusted hops, as Express's
// `trust proxy` does (and with the same library, proxy-addr).
import type { IncomingMessage } from 'node:http';
import proxyaddr from 'proxy-addr';

/** `0` trusts nothing; `n` trusts the n nearest proxies; a list trusts proxies at those addresses. */
export type TrustProxy = number | readonly string[];

export type TrustFunction = (address: string, hop: number) => boolean;

const MAX_HOPS = 32;

export class TrustProxyError extends Error {
  readonly code = 'invalid_trust_proxy';
  constructor(message: string) {
    super(message);
    this.name = 'TrustProxyError';
  }
}

/**
 * `TRUST_PROXY` as written: `false`/`0`/empty (no proxy), a hop count (`1`, `2`), `true` (one hop,
 * the common single reverse proxy; never "trust every hop", which would hand the address to the
 * client), or a comma-separated list of proxy addresses and CIDRs (`10.0.0.0/8,192.168.1.4`, or
 * proxy-addr's names `loopback`, `linklocal`, `uniquelocal`).
 */
export function parseTrustProxy(raw: string | undefined): TrustProxy {
  const value = (raw ?? '').trim();
  if (value === '' || value === 'false') return 0;
  if (value === 'true') return 1;
  if (/^\d+$/.test(value)) {
    const hops = Number(value);
    if (hops > MAX_HOPS) throw new TrustProxyError(`at most ${MAX_HOPS} proxy hops`);
    return hops;
  }
  const entries = value.split(',').map((entry) => entry.trim()).filter(Boolean);
  try {
    proxyaddr.compile(entries);
  } catch (error) {
    throw new TrustProxyError(`not a hop count nor a list of addresses/CIDRs (${error instanceof Error ? error.message : String(error)})`);
  }
  return entries;
}

/** The trust test for proxy-addr and Express's `trust proxy` setting. */
export function trustFunctionOf(trust: TrustProxy): TrustFunction {
  if (typeof trust === 'number') return (_address, hop) => hop < trust;
  const compiled = proxyaddr.compile([...trust]);
  return (address) => compiled(address, 0);
}

/** The client's address: the socket's peer, or past the trusted proxies in X-Forwarded-For. */
export function clientAddressOf(req: IncomingMessage, trust: TrustFunction): string | null {
  if (!req.socket.remoteAddress) return null;
  return proxyaddr(req, trust) || null;
}

/** Whether the peer that sent this request is a trusted proxy (so its X-Forwarded-Proto counts). */
export function peerIsTrusted(req: IncomingMessage, trust: TrustFunction): boolean {
  const peer = req.socket.remoteAddress;
  return peer !== undefined && trust(peer, 0);
}
