// The one place a denial happens: every FORBIDDEN decided by policy.ts goes through `deny`, which
// writes the audit row (outcome 'denied') before throwing.
import type { StudioDatabase } from '@studio/db';
import { roles, users, type WorkspaceRole } from '@studio/db/schema';
import { eq } from 'drizzle-orm';
import type { TokenPrincipal } from './api-tokens';
import type { AuditActor, AuditService } from './audit';
import type { RateLimitSubject } from './rate-limits';
import { forbidden, type DeniableAction, type DenialFacts, type DenialReason } from './denials';
import { can, type Actor, type WorkspaceAction } from './policy';

export interface UserPrincipal {
  kind: 'user';
  userId: string;
  username: string;
  displayName: string | null;
  /** lucia session id; absent for principals built in tests or by internal callers. */
  sessionId?: string | undefined;
  /** The password was generated or typed by an Admin: nothing but changing it is allowed yet. */
  mustChangePassword?: boolean | undefined;
}

export type Principal = UserPrincipal | TokenPrincipal;

export interface RequestMeta {
  ip: string | null;
  userAgent: string | null;
}

export interface WorkspaceScope {
  id: string;
  slug: string;
  role: WorkspaceRole;
  actor: Actor;
}

export function auditActorOf(principal: Principal | null): AuditActor | null {
  if (!principal) return null;
  return principal.kind === 'user'
    ? { userId: principal.userId, username: principal.username }
    : { tokenId: principal.tokenId, username: `token:${principal.prefix}` };
}

/**
 * Whose budget a call spends. A token spends its creator's: minting more tokens must not multiply
 * anyone's limits. Only tokens no person made (seeded, or their creator deleted) count on their own.
 */
export function rateLimitSubjectOf(principal: Principal): RateLimitSubject {
  if (principal.kind === 'user') return { kind: 'user', id: principal.userId };
  return principal.createdBy === null ? { kind: 'token', id: principal.tokenId } : { kind: 'user', id: principal.createdBy };
}

export interface Denial {
  workspaceId: string | null;
  /** Names the refusal's words (denials.ts) and, unless `auditAction` says otherwise, the audit row. */
  action: DeniableAction;
  /** The audit row's action when it is not `action` (a procedure's path, for refusals before any policy). */
  auditAction?: string | undefined;
  target?: { type: string; id?: string | null } | undefined;
  reason?: DenialReason | undefined;
  facts?: DenialFacts | undefined;
}

export class Authorizer {
  constructor(
    private readonly audit: AuditService,
    private readonly principal: Principal | null,
    private readonly meta: RequestMeta,
  ) {}

  async deny(denial: Denial): Promise<never> {
    const reason = denial.reason ?? 'insufficient_role';
    await this.audit.record({
      actor: auditActorOf(this.principal),
      workspaceId: denial.workspaceId,
      action: denial.auditAction ?? denial.action,
      target: denial.target ?? null,
      outcome: 'denied',
      details: { reason },
      ip: this.meta.ip,
      userAgent: this.meta.userAgent,
    });
    throw forbidden(denial.action, reason, { actorKind: this.principal?.kind, ...denial.facts }, denial.auditAction ? { action: denial.auditAction } : {});
  }

  /** Role check against the policy table; denials audited. */
  async require(scope: WorkspaceScope, action: WorkspaceAction, target?: Denial['target']): Promise<void> {
    if (!can(scope.actor, action)) await this.deny({ workspaceId: scope.id, action, target });
  }

  /** For decisions richer than the role table (grants, role ceilings). */
  async requireThat(allowed: boolean, denial: Denial): Promise<void> {
    if (!allowed) await this.deny(denial);
  }
}

/** System Admin (users.role 'Admin', seed 003): the only people who may act on every workspace at once. */
export async function isSystemAdmin(db: StudioDatabase, userId: string): Promise<boolean> {
  const [row] = await db.select({ role: roles.name }).from(users).innerJoin(roles, eq(roles.id, users.roleId)).where(eq(users.id, userId));
  return row?.role === 'Admin';
}
