// Lists every connection of the token's workspace (all pages), with status and last test time.
//
//   API_URL=http://127.0.0.1:3000 API_TOKEN=wss_… pnpm --filter @studio/sdk example:list-connections
//
// Optional: WORKSPACE=<slug> for a session cookie that sees several workspaces (API_COOKIE instead of
// API_TOKEN). Exits 1 with the API's problem on failure; waits out a rate limit once.
import { createClient, isStudioApiError, type RouterOutputs, type StudioClient } from '../src/index';

type Connection = RouterOutputs['connections']['list']['items'][number];

function readEnv() {
  const url = process.env.API_URL;
  const token = process.env.API_TOKEN;
  const cookie = process.env.API_COOKIE;
  if (!url || (!token && !cookie)) {
    console.error('Set API_URL and API_TOKEN (or API_COOKIE), e.g. API_URL=http://127.0.0.1:3000 API_TOKEN=wss_…');
    process.exit(2);
  }
  return { url, token, cookie, workspace: process.env.WORKSPACE };
}

/** Runs a call; on TOO_MANY_REQUESTS waits the seconds the server asked for, once, then retries. */
async function politely<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (!isStudioApiError(error) || error.code !== 'TOO_MANY_REQUESTS' || error.retryAfterSeconds === undefined) throw error;
    console.log(`rate limited; retrying in ${error.retryAfterSeconds} s`);
    await new Promise((resolve) => setTimeout(resolve, error.retryAfterSeconds! * 1000));
    return call();
  }
}

async function allConnections(client: StudioClient, workspaceSlug: string): Promise<Connection[]> {
  const all: Connection[] = [];
  let cursor: string | undefined;
  do {
    const page = await politely(() => client.connections.list.query({ workspaceSlug, cursor, limit: 100 }));
    all.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return all;
}

async function main(): Promise<void> {
  const env = readEnv();
  const client = env.token ? createClient({ url: env.url, token: env.token }) : createClient({ url: env.url, cookie: env.cookie! });
  const workspaces = (await politely(() => client.workspaces.listMine.query())).items;
  const slug = env.workspace ?? workspaces[0]?.slug;
  if (!slug) throw new Error('this credential sees no workspace');

  const connections = await allConnections(client, slug);
  console.log(`workspace ${slug}: ${connections.length} connection(s)`);
  console.table(
    connections.map((c) => ({
      name: c.name,
      type: c.type,
      address: `${c.host}:${c.port}/${c.database}`,
      status: c.status,
      lastTestedAt: c.lastTestedAt?.toISOString() ?? 'never',
    })),
  );
}

main().catch((error: unknown) => {
  if (isStudioApiError(error)) {
    console.error(`${error.code} (HTTP ${error.status}) ${error.error}: ${error.message}`, error.details);
  } else {
    console.error(error);
  }
  process.exit(1);
});
