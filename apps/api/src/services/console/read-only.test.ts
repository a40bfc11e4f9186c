import { describe, expect, it } from 'vitest';
import { readOnlyRefusal } from './read-only';

describe('read-only refusals on MySQL', () => {
  it('runs reads and lets the database refuse writes', () => {
    expect(readOnlyRefusal('mysql', 'SELECT 1; SHOW TABLES; SET @x = 1; INSERT INTO t VALUES (1)')).toBeNull();
  });

  it('refuses a statement that commits implicitly, saying so', () => {
    expect(readOnlyRefusal('mysql', 'SELECT 1; CREATE TABLE t (id INT)')).toEqual({
      statement: 'CREATE TABLE',
      reason: 'CREATE is refused in read-only mode: MySQL commits implicitly before it (or it changes the session), which would end the read-only transaction',
    });
  });

  it('refuses a misspelt statement as unknown, not as one that would commit', () => {
    const refusal = readOnlyRefusal('mysql', 'selec broken');
    expect(refusal?.statement).toBe('SELEC BROKEN');
    expect(refusal?.reason).toBe(
      'SELEC is not a statement read-only mode runs (check the spelling): it runs SELECT, WITH, SHOW, DESCRIBE, EXPLAIN, TABLE, VALUES and DO',
    );
  });
});
