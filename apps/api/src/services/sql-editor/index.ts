export { ProcedureCatalogueCache, SqlEditorService, DEFAULT_EXECUTION_TIMEOUT_MS, DEFAULT_ROW_LIMIT, type ExecutionResult, type ProcedureDetail, type ProcedureSummary, type PublishTarget, type ResultSet } from './service';
export { ExecutionRegistry, type RunningExecution } from './executions';
export { EnvironmentUnavailableError, ExecutionTimeoutError, SqlServerError, type SqlServerMessage } from './errors';
export { deployableDefinition, declaredParameters, renameInDraft } from './definition';
export { tokenize } from './tsql';
export { identifierProblem, quoteIdentifier, quotedProcedureName, procedureNameOf, storedNameOf, type ProcedureName } from './identifiers';
export type { ProcedureParameter, ResultColumn, ValueKind } from './types';
export { ProcedureDeployments, sqlHashOf, type EnvironmentDeployment } from './deployments';
export { RunnableProcedures, type RunnableProcedure } from './runnable';
