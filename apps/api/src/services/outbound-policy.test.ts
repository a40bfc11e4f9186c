import { describe, expect, it } from 'vitest';
import { OutboundPolicy, OutboundPolicyError } from './outbound-policy';

// A resolver table instead of the system's DNS keeps these decisions independent of the machine;
// the policy itself is the code under test.
const table: Record<string, string[]> = {
  'metadata.evil.test': ['169.254.169.254'],
  'db.internal.test': ['10.1.2.3'],
  'mixed.test': ['10.1.2.4', 'fe80::1'],
  'localhost': ['127.0.0.1', '::1'],
};
const resolver = async (host: string) => {
  const found = table[host];
  if (!found) throw new Error('ENOTFOUND');
  return found;
};
const policy = (config: Partial<ConstructorParameters<typeof OutboundPolicy>[0]> = {}) =>
  new OutboundPolicy({ allowLoopback: false, allow: [], deny: [], ...config }, resolver);

describe('OutboundPolicy', () => {
  it('refuses cloud metadata and link-local addresses, literal or behind DNS', async () => {
    await expect(policy().check('169.254.169.254')).resolves.toMatchObject({ allowed: false, reason: 'cloud_metadata' });
    await expect(policy().check('fd00:ec2::254')).resolves.toMatchObject({ allowed: false, reason: 'cloud_metadata' });
    await expect(policy().check('[fd00:ec2::254]')).resolves.toMatchObject({ allowed: false, reason: 'cloud_metadata' });
    await expect(policy().check('metadata.evil.test')).resolves.toMatchObject({ allowed: false, reason: 'cloud_metadata', address: '169.254.169.254' });
    await expect(policy().check('169.254.10.10')).resolves.toMatchObject({ allowed: false, reason: 'link_local' });
    await expect(policy().check('mixed.test')).resolves.toMatchObject({ allowed: false, reason: 'link_local', address: 'fe80::1' });
  });

  it('allows ordinary private and public addresses', async () => {
    await expect(policy().check('db.internal.test')).resolves.toEqual({ allowed: true, addresses: ['10.1.2.3'] });
    await expect(policy().check('203.0.113.7')).resolves.toMatchObject({ allowed: true });
  });

  it('allows loopback only when configured', async () => {
    await expect(policy().check('localhost')).resolves.toMatchObject({ allowed: false, reason: 'loopback' });
    await expect(policy({ allowLoopback: true }).check('localhost')).resolves.toMatchObject({ allowed: true });
    await expect(policy({ allowLoopback: true }).check('::1')).resolves.toMatchObject({ allowed: true });
  });

  it('applies the configured deny and allow lists (CIDRs and hostnames)', async () => {
    await expect(policy({ deny: ['10.0.0.0/8'] }).check('db.internal.test')).resolves.toMatchObject({ allowed: false, reason: 'denied_by_config' });
    await expect(policy({ deny: ['*.internal.test'] }).check('db.internal.test')).resolves.toMatchObject({ allowed: false, reason: 'denied_by_config' });
    await expect(policy({ allow: ['169.254.10.0/24'] }).check('169.254.10.10')).resolves.toMatchObject({ allowed: true });
  });

  it('reports unresolvable hosts and throws a named error from assertAllowed', async () => {
    await expect(policy().check('nowhere.test')).resolves.toMatchObject({ allowed: false, reason: 'dns_failed' });
    await expect(policy().assertAllowed('169.254.169.254')).rejects.toBeInstanceOf(OutboundPolicyError);
  });

  it('judges IPv6 forms that embed an IPv4 address by the embedded address', async () => {
    const forms = ['::ffff:169.254.169.254', '::ffff:a9fe:a9fe', '::ffff:0:169.254.169.254', '::169.254.169.254', '64:ff9b::169.254.169.254', '64:ff9b::a9fe:a9fe', '2002:a9fe:a9fe::1', '[2002:a9fe:a9fe::]'];
    for (const form of forms) {
      await expect(policy().check(form), form).resolves.toMatchObject({ allowed: false, reason: 'cloud_metadata' });
    }
    for (const form of ['::ffff:127.0.0.1', '64:ff9b::7f00:1', '2002:7f00:1::', '::127.0.0.2']) {
      await expect(policy().check(form), form).resolves.toMatchObject({ allowed: false, reason: 'loopback' });
    }
    await expect(policy({ deny: ['10.0.0.0/8'] }).check('64:ff9b::10.1.2.3')).resolves.toMatchObject({ allowed: false, reason: 'denied_by_config' });
    // An ordinary address that happens to end in the same bits is not an embedding.
    await expect(policy().check('2001:db8::a9fe:a9fe')).resolves.toMatchObject({ allowed: true });
    await expect(policy().check('64:ff9b::203.0.113.7')).resolves.toMatchObject({ allowed: true });
  });

  it('rejects a malformed policy entry by name', () => {
    expect(() => policy({ deny: ['10.0.0.0/99'] })).toThrow(/10\.0\.0\.0\/99/);
  });
});
