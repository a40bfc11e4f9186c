import { char, foreignKey, index, pgTable, primaryKey, timestamp, uuid } from 'drizzle-orm/pg-core';
import { users } from './auth';
import { environments } from './environments';
import { storedProcedures } from './stored-procedures';

/**
 * What each environment runs of a procedure: one row per (procedure, environment), replaced on
 * every successful publish there. Only the SHA-256 of the deployed text is kept (the text itself
 * is the procedure's, in stored_procedures, which stays exactly as seed 003 defines it).
 * `deployed_by` becomes NULL when the user is deleted; the row goes with its procedure or
 * environment.
 */
export const procedureDeployments = pgTable(
  'procedure_deployments',
  {
    procedureId: uuid('procedure_id').notNull(),
    environmentId: uuid('environment_id').notNull(),
    /** Lower-case hex SHA-256 of the deployed text's UTF-8 bytes. */
    sqlHash: char('sql_hash', { length: 64 }).notNull(),
    deployedBy: uuid('deployed_by'),
    deployedAt: timestamp('deployed_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ name: 'procedure_deployments_pkey', columns: [t.procedureId, t.environmentId] }),
    // Deleting an environment finds its rows by this index instead of a scan.
    index('procedure_deployments_environment_id_idx').on(t.environmentId),
    foreignKey({ name: 'procedure_deployments_procedure_id_fkey', columns: [t.procedureId], foreignColumns: [storedProcedures.id] }).onDelete('cascade'),
    foreignKey({ name: 'procedure_deployments_environment_id_fkey', columns: [t.environmentId], foreignColumns: [environments.id] }).onDelete('cascade'),
    foreignKey({ name: 'procedure_deployments_deployed_by_fkey', columns: [t.deployedBy], foreignColumns: [users.id] }).onDelete('set null'),
  ],
);

export type ProcedureDeployment = typeof procedureDeployments.$inferSelect;
