// A workspace's slug from its name, as the API accepts it: lowercase letters and digits separated
// by single dashes, at most 64 characters ("Ünïcode Sales & Ops" → "unicode-sales-ops").
const MAX_SLUG_LENGTH = 64;

export function slugFromName(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, MAX_SLUG_LENGTH)
    .replace(/-+$/, '');
}
