// What a masked value must look like, per strategy, as an SQL predicate over a text value:
// used on sampled rows and on pg_stats. Strategies whose output has no fixed shape (fake names,
// shift, noise, sql, json) have none; other gates cover them.
import type { ColumnInfo } from './catalog.js';
import type { ColumnStrategy } from './rules.js';
import type { SqlParams } from './sql.js';
import { isTextLike } from './strategies.js';

/**
 * A boolean SQL expression, true when the value is a possible output of `strategy`, or undefined
 * when the output has no checkable shape. `text` is the value as text; `typed`, when there is one,
 * the column itself (a constant compares as its type: 5 and 5.00 are the same numeric).
 */
export function formatPredicate(
  strategy: ColumnStrategy,
  column: ColumnInfo,
  at: { text: string; typed?: string },
  params: SqlParams,
): string | undefined {
  const value = at.text;
  switch (strategy.kind) {
    case 'null':
      return `${value} IS NULL`;
    case 'constant':
      if (at.typed !== undefined) return `${at.typed} = ${params.add(strategy.value)}`;
      return isTextLike(column) ? `${value} = ${params.add(strategy.value)}::text` : undefined;
    case 'hash': {
      if (!isTextLike(column)) return undefined;
      const width = Math.min(strategy.length ?? 64, column.maxLength ?? 64);
      return `(${value} IS NULL OR ${value} ~ ${params.add(`^[0-9a-f]{${width}}\\s*$`)}::text)`;
    }
    case 'email':
      return `(${value} IS NULL OR (${value} ~ '^u[0-9a-f]{16}@' AND pg_catalog.substr(${value}, 19) = ${params.add(strategy.domain)}::text))`;
    case 'partial': {
      // A partially masked value is its own masking: mask characters, then at most `keep` kept ones.
      const mask = `${params.add(strategy.mask)}::text`;
      const length = `pg_catalog.length(${value})`;
      return `(${value} IS NULL OR ${value} = CASE WHEN ${length} <= ${strategy.keep} THEN pg_catalog.repeat(${mask}, ${length})
        ELSE pg_catalog.repeat(${mask}, ${length} - ${strategy.keep}) || pg_catalog.right(${value}, ${strategy.keep}) END)`;
    }
    case 'fake':
      if (strategy.fake === 'phone') return `(${value} IS NULL OR ${value} ~ '^\\(555\\) [0-9]{3}-[0-9]{4}$')`;
      if (strategy.fake === 'zip') return `(${value} IS NULL OR ${value} ~ '^[0-9]{5}$')`;
      return undefined;
    default:
      return undefined;
  }
}
