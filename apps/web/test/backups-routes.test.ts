// The Backups page through its loader and actions against a started app: system Admins take a
// backup, see it listed and download exactly the file; everyone else is refused.
import { describe, expect, it } from 'vitest';
import * as backups from '../app/routes/backups';
import * as backupFile from '../app/routes/backups.$backupId.file';
import { type RouteFn, routeTestApp } from './support';

const ADMIN_PASSWORD = 'admin-backup-routes-pw';
const USER_PASSWORD = 'user-backup-routes-pw';
const { call, sessionCookie } = routeTestApp({ name: 'backups', env: { SEED_ADMIN_PASSWORD: ADMIN_PASSWORD, SEED_USER_PASSWORD: USER_PASSWORD }, userAgent: 'backup-route-test' });

interface Listed {
  runs: { id: string; outcome: string; fileName: string | null; bytes: number | null; downloadable: boolean }[];
  settings: { schedule: string | null; keep: number };
}

describe('Backups page', () => {
  it('an Admin backs up now, sees the run listed and downloads the file', async () => {
    const admin = await sessionCookie('admin', ADMIN_PASSWORD);
    const run = await call(backups.action as RouteFn, { path: '/backups', cookie: admin, form: { intent: 'run' } });
    expect(run.status).toBe(200);
    expect(((await run.json()) as { ok: boolean; message: string }).message).toMatch(/^Backup studio-.*\.studio-backup written/);

    const listed = (await (await call(backups.loader as RouteFn, { path: '/backups', cookie: admin })).json()) as Listed;
    expect(listed.settings).toMatchObject({ schedule: null, keep: 14 });
    const [latest] = listed.runs;
    expect(latest).toMatchObject({ outcome: 'success', downloadable: true });

    const file = await call(backupFile.loader as RouteFn, { path: `/backups/${latest!.id}/file`, cookie: admin, params: { backupId: latest!.id } });
    expect(file.status).toBe(200);
    expect(file.headers.get('content-disposition')).toBe(`attachment; filename="${latest!.fileName}"`);
    const bytes = Buffer.from(await file.arrayBuffer());
    expect(bytes.length).toBe(latest!.bytes);
    expect(bytes.subarray(0, 14).toString()).toBe('STUDIO-BACKUP\n');
  });

  it('refuses people who are not system Admins', async () => {
    const user = await sessionCookie('user', USER_PASSWORD);
    const refused = await call(backups.loader as RouteFn, { path: '/backups', cookie: user }).catch((thrown: unknown) => thrown as Response);
    expect(refused.status).toBe(403);
    const run = await call(backups.action as RouteFn, { path: '/backups', cookie: user, form: { intent: 'run' } });
    expect(run.status).toBe(403);
  });
});
