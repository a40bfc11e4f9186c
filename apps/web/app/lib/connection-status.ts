/** How a connection's status reads in the UI: the badge text and its tone. */
export type ConnectionStatus = 'unknown' | 'healthy' | 'unhealthy' | 'needs_migration' | 'drifted';
export type BadgeTone = 'neutral' | 'success' | 'danger' | 'warning';

const badges: Record<ConnectionStatus, { label: string; tone: BadgeTone }> = {
  unknown: { label: 'Not tested', tone: 'neutral' },
  healthy: { label: 'Healthy', tone: 'success' },
  unhealthy: { label: 'Unreachable', tone: 'danger' },
  needs_migration: { label: 'Needs migration', tone: 'warning' },
  drifted: { label: 'Schema drifted', tone: 'danger' },
};

export function connectionStatusBadge(status: ConnectionStatus, lastTestedAt: Date | null, now = new Date()) {
  const badge = badges[status];
  if (lastTestedAt === null) return { ...badge, detail: 'never tested' };
  return { ...badge, detail: `tested ${relativeTime(lastTestedAt, now)}` };
}

export function relativeTime(then: Date, now: Date): string {
  const seconds = Math.round((now.getTime() - then.getTime()) / 1000);
  if (seconds < 45) return 'just now';
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 24) return `${hours} h ago`;
  return `${Math.round(hours / 24)} d ago`;
}
