import { describe, expect, it } from 'vitest';
import { connectionStatusBadge, relativeTime } from './connection-status';

describe('connectionStatusBadge', () => {
  const now = new Date('2026-11-22T12:00:00Z');

  it('says a never-tested connection was never tested', () => {
    expect(connectionStatusBadge('unknown', null, now)).toEqual({ label: 'Not tested', tone: 'neutral', detail: 'never tested' });
  });

  it('marks drift and outages as dangers and shows when it was tested', () => {
    expect(connectionStatusBadge('drifted', new Date('2026-11-22T11:30:00Z'), now)).toMatchObject({ tone: 'danger', detail: 'tested 30 min ago' });
    expect(connectionStatusBadge('unhealthy', new Date('2026-11-20T12:00:00Z'), now)).toMatchObject({ label: 'Unreachable', detail: 'tested 2 d ago' });
  });

  it('rounds relative times the way people read them', () => {
    expect(relativeTime(new Date('2026-11-22T11:59:30Z'), now)).toBe('just now');
    expect(relativeTime(new Date('2026-11-22T09:00:00Z'), now)).toBe('3 h ago');
  });
});
