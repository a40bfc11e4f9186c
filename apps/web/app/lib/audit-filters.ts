// The audit log's filters as query parameters (the page and its CSV export read them the same
// way), and the CSV the export writes.

export const AUDIT_OUTCOMES = ['success', 'failure', 'denied'] as const;

/** The first or last millisecond of a `YYYY-MM-DD` (UTC) day; anything else is no filter. */
function utcDay(value: string | null, edge: 'start' | 'end'): Date | undefined {
  if (!value || !/^\d{4}-\d{2}-\d{2}$/.test(value)) return undefined;
  const day = new Date(`${value}T${edge === 'start' ? '00:00:00.000' : '23:59:59.999'}Z`);
  return Number.isNaN(day.getTime()) ? undefined : day;
}

export interface AuditFilters {
  action?: string | undefined;
  outcome?: (typeof AUDIT_OUTCOMES)[number] | undefined;
  targetType?: string | undefined;
  actorUserId?: string | undefined;
  from?: Date | undefined;
  to?: Date | undefined;
}

/** The filters in a query string, and the field errors of those that cannot be applied. */
export function auditFiltersOf(query: URLSearchParams): { filters: AuditFilters; fieldErrors: Record<string, string> } {
  const filters: AuditFilters = {
    action: query.get('action')?.trim() || undefined,
    outcome: AUDIT_OUTCOMES.find((o) => o === query.get('outcome')),
    targetType: query.get('targetType') || undefined,
    actorUserId: query.get('actor') || undefined,
    from: utcDay(query.get('from'), 'start'),
    to: utcDay(query.get('to'), 'end'),
  };
  const fieldErrors: Record<string, string> = {};
  if (filters.from && filters.to && filters.from > filters.to) fieldErrors.to = 'The range is inverted: “To” must not be before “From”.';
  return { filters, fieldErrors };
}

/** One CSV field: quoted when needed; text a spreadsheet would run as a formula is made inert. */
function csvField(value: string | null | undefined): string {
  if (value === null || value === undefined) return '';
  const text = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvLine(values: readonly (string | null | undefined)[]): string {
  return `${values.map(csvField).join(',')}\r\n`;
}
