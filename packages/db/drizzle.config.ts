import { defineConfig } from 'drizzle-kit';

// Used only by `pnpm db:generate` to diff the schema against migrations/meta snapshots.
// Migrations are applied by our own runner (src/migrator.ts), never by drizzle-kit.
export default defineConfig({
  dialect: 'postgresql',
  schema: './src/schema/index.ts',
  out: './migrations',
  strict: true,
  verbose: true,
});
