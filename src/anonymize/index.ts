// The anonymization engine's public surface: parse rules, mask a fork in place, verify it.
export { parseRules, RulesError } from './rules.js';
export type {
  AnonymizeRules,
  ColumnStrategy,
  TableRule,
  TableRuleEntry,
  ColumnRule,
  JsonPathRule,
  FakeKind,
  StrategyName,
} from './rules.js';
export { anonymizeDatabase, AnonymizeError } from './execute.js';
export type { AnonymizeOptions, AnonymizeProgress, AnonymizeResult, TableOutcome } from './execute.js';
export { verifyAnonymized } from './verify.js';
export type { VerifyOptions, VerifyReport, CheckResult } from './verify.js';
export { quoteIdent } from './quote.js';
export { planAnonymization, formatPlan } from './plan-report.js';
export type { PlanReport, PlannedTable, PlanOptions } from './plan-report.js';
export { checkRules } from './rules-check.js';
export type { RulesCheck } from './rules-check.js';
export { typecheckRule, typecheckRules, CheckNotRun } from './typecheck.js';
export { scanForPii } from './scan.js';
export type { ScanReport, ScannedColumn } from './scan.js';
export { diskOutlook, maskingRoom, STORAGE_RESERVE } from './disk.js';
export type { DiskOutlook, TableOutlook } from './disk.js';
