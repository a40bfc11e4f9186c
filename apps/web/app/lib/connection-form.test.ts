import { describe, expect, it } from 'vitest';
import { connectionCreateInput, connectionUpdateInput, formatServerList, parseServerList } from './connection-form';
import { environmentUpdateInput } from './environment-form';

function formOf(fields: Record<string, string>): FormData {
  const form = new FormData();
  for (const [key, value] of Object.entries(fields)) form.set(key, value);
  return form;
}

const target = { name: 'n', host: 'db.example.com', database: 'd', user: 'u' };

describe('other servers in the connection form', () => {
  it('reads the host list one server a line (or comma), host or host:port, IPv6 in brackets with a port', () => {
    expect(parseServerList(' standby-1.example.com \n\nstandby-2.example.com:5433, 10.0.0.7\n[::1]:5434\n::1')).toEqual([
      { host: 'standby-1.example.com' },
      { host: 'standby-2.example.com', port: 5433 },
      { host: '10.0.0.7' },
      { host: '[::1]', port: 5434 },
      { host: '::1' },
    ]);
    // Not a number: sent as one, so the API names the entry's port.
    expect(parseServerList('standby:abc')[0]?.port).toBeNaN();
    expect(parseServerList(undefined)).toEqual([]);
  });

  it('shows a stored host list the way the field reads it back', () => {
    const servers = [{ host: 'standby-1.example.com' }, { host: 'standby-2.example.com', port: 5433 }, { host: '::1', port: 5434 }];
    expect(formatServerList(servers)).toBe('standby-1.example.com\nstandby-2.example.com:5433\n[::1]:5434');
    expect(parseServerList(formatServerList(servers))).toEqual([servers[0], servers[1], { host: '[::1]', port: 5434 }]);
  });

  it("sends SQL Server's failover partner and read intent, PostgreSQL's hosts and target, each only for its type", () => {
    const fields = {
      ...target,
      'options.failoverPartner': 'mirror.example.com:1533',
      'options.readIntent': 'on',
      'options.alternateHosts': 'standby.example.com:5433',
      'options.targetSessionAttrs': 'read-write',
    };
    expect(connectionCreateInput(formOf({ ...fields, type: 'mssql' })).options).toEqual({ failoverPartner: { host: 'mirror.example.com', port: 1533 }, readIntent: true });
    expect(connectionCreateInput(formOf({ ...fields, type: 'postgres' })).options).toEqual({ alternateHosts: [{ host: 'standby.example.com', port: 5433 }], targetSessionAttrs: 'read-write' });
    expect(connectionCreateInput(formOf({ ...fields, type: 'mysql' })).options).toEqual({});
  });

  it('leaves out what is blank or the default, so an edit that touches nothing changes nothing', () => {
    const blank = { ...target, 'options.failoverPartner': ' ', 'options.alternateHosts': '\n', 'options.targetSessionAttrs': 'any' };
    expect(connectionUpdateInput(formOf({ ...blank, type: 'mssql' }), 'id').options).toEqual({});
    expect(connectionUpdateInput(formOf({ ...blank, type: 'postgres' }), 'id').options).toEqual({});
    expect(connectionCreateInput(formOf({ ...target, type: 'mssql', 'options.failoverPartner': 'mirror' })).options).toEqual({ failoverPartner: { host: 'mirror' } });
  });

  it("sends an environment's failover partner and read intent under connection.options", () => {
    const input = environmentUpdateInput(
      formOf({ name: 'Prod', 'connection.host': 'db', 'connection.database': 'd', 'connection.user': 'u', 'connection.options.failoverPartner': 'mirror', 'connection.options.readIntent': 'on' }),
      'env',
    );
    expect(input.connection.options).toEqual({ failoverPartner: { host: 'mirror' }, readIntent: true });
  });
});
