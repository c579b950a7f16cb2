// Injected faults, matched before routing: each rule hits its first `times` matching requests.
import type { FaultKind, FaultRule } from './types.js';

interface ActiveRule {
  rule: FaultRule;
  left: number;
}

export class Faults {
  private rules: ActiveRule[] = [];

  add(rule: FaultRule): void {
    this.rules.push({ rule, left: rule.times ?? 1 });
  }

  clear(): void {
    this.rules = [];
  }

  /** The fault for this request, if a rule matches; consumes one of the rule's hits. */
  take(method: string, path: string): FaultKind | undefined {
    const hit = this.rules.find(({ rule, left }) => left > 0 && matches(rule, method, path));
    if (!hit) return undefined;
    hit.left -= 1;
    this.rules = this.rules.filter(({ left }) => left > 0);
    return hit.rule.kind;
  }

  pending(): Array<{ method?: string; path: string; left: number; kind: FaultKind }> {
    return this.rules.map(({ rule, left }) => ({
      ...(rule.method === undefined ? {} : { method: rule.method }),
      path: String(rule.path),
      left,
      kind: rule.kind,
    }));
  }
}

function matches(rule: FaultRule, method: string, path: string): boolean {
  if (rule.method !== undefined && rule.method.toUpperCase() !== method) return false;
  return typeof rule.path === 'string' ? rule.path === path : rule.path.test(path);
}
