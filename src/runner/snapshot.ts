// Between the machines and the control table: restore a stored snapshot of a run of either
// kind (migrating one saved by an older machine version when its meaning is known), find the
// effect it has pending (its active invoked child is the outbox entry), take the next
// snapshot, and derive the run's status.
import {
  createActor,
  transition,
  type AnyMachineSnapshot,
  type AnyStateMachine,
  type EventObject,
  type Snapshot,
  type SnapshotFrom,
  type StateValue,
} from 'xstate';
import { DEFAULT_RETRY, MACHINE_VERSION, refreshMachine, type FinalState } from '../../machines/refresh.js';
import { ROLLBACK_MACHINE_VERSION, rollbackMachine } from '../../machines/rollback.js';
import type { PersistedSnapshot, RunKind, RunStatus } from '../store/types.js';
import type { EffectName } from '../steps/types.js';

export type RefreshSnapshot = SnapshotFrom<typeof refreshMachine>;
export type RollbackSnapshot = SnapshotFrom<typeof rollbackMachine>;
/** A run of either kind: the runtime reads only what both contexts have (notBefore, failing, error, retry). */
export type RunSnapshot = RefreshSnapshot | RollbackSnapshot;

/** Each kind's machine and the version its runs are saved with. */
export const MACHINES: Record<RunKind, { machine: AnyStateMachine; version: number }> = {
  refresh: { machine: refreshMachine, version: MACHINE_VERSION },
  rollback: { machine: rollbackMachine, version: ROLLBACK_MACHINE_VERSION },
};

function machineOf(snapshot: RunSnapshot): AnyStateMachine {
  return snapshot.machine as AnyStateMachine;
}

export function persist(snapshot: RunSnapshot): PersistedSnapshot {
  // Through JSON, so what we keep in memory is exactly what a restore will read.
  return JSON.parse(JSON.stringify(machineOf(snapshot).getPersistedSnapshot(snapshot as AnyMachineSnapshot))) as PersistedSnapshot;
}

/** The machine's pure next snapshot: same kind as the one given. */
export function nextSnapshot(snapshot: RunSnapshot, event: EventObject): RunSnapshot {
  const [next] = transition(machineOf(snapshot), snapshot as AnyMachineSnapshot, event);
  return next as RunSnapshot;
}

export class IncompatibleSnapshotError extends Error {
  override readonly name = 'IncompatibleSnapshotError';
}

type Children = Record<string, { src?: unknown; snapshot?: { input?: unknown } }>;

/** Effects whose input names the fork app since version 2 (the others were given `app` already). */
const TAKES_FORK_APP: ReadonlySet<unknown> = new Set(['preflight', 'cleanup', 'compensate']);

/**
 * Version 1 made every fork on the target app, so a run it saved continues with the target as
 * its fork app, in its context and in the input of the effect it has pending.
 */
function fromVersion1(stored: PersistedSnapshot): PersistedSnapshot {
  const context = stored.context as Record<string, unknown>;
  const forkApp = context.targetApp;
  const children: Children = {};
  for (const [id, child] of Object.entries((stored.children ?? {}) as Children)) {
    const input = child.snapshot?.input;
    const patch = TAKES_FORK_APP.has(child.src) && typeof input === 'object' && input !== null && !('forkApp' in input);
    children[id] = patch ? { ...child, snapshot: { ...child.snapshot, input: { ...input, forkApp } } } : child;
  }
  return { ...stored, context: { ...context, forkApp }, children };
}

/**
 * Version 2 counted attempts (five per step); version 3 retries within time windows. States,
 * invoke ids and effect inputs are the same, so a run saved by version 2 (one waiting for its
 * fork during an upgrade, say) continues with the default windows.
 */
function fromVersion2(stored: PersistedSnapshot): PersistedSnapshot {
  const context = { ...(stored.context as Record<string, unknown>) };
  const baseMs = typeof context.retryBaseMs === 'number' ? context.retryBaseMs : DEFAULT_RETRY.baseMs;
  delete context.retryBaseMs;
  return { ...stored, context: { ...context, retry: { ...DEFAULT_RETRY, baseMs }, failing: null } };
}

/**
 * Refresh version 4 added `fixingUp` after anonymizing (a version-3 run saved in anonymizing goes on to
 * it) and maintenance mode around the swap: two states between verifying and cleaning that only
 * a pipeline with `maintenance: true` enters. A run saved by version 3 is in a state version 4
 * still has, with the same invoke ids and inputs; it goes on without maintenance mode (it was
 * started without it), whatever the config says now.
 */
function startedWithoutMaintenance(stored: PersistedSnapshot): PersistedSnapshot {
  return { ...stored, context: { ...(stored.context as Record<string, unknown>), maintenanceMode: false, maintenance: null } };
}

type Migrations = Record<number, (stored: PersistedSnapshot) => PersistedSnapshot>;

/** Each kind's migrations: from version N to N + 1. */
const MIGRATIONS: Record<RunKind, Migrations> = {
  refresh: { 1: fromVersion1, 2: fromVersion2, 3: startedWithoutMaintenance },
  /**
   * Rollback version 2 added maintenance mode around its swap, in the same way as refresh version 4:
   * two states only a run started with `maintenanceMode` enters, every other state, invoke id and
   * input unchanged. A version-1 rollback goes on without maintenance mode.
   */
  rollback: { 1: startedWithoutMaintenance },
};

function upgrade(stored: PersistedSnapshot, machineVersion: number, kind: RunKind): PersistedSnapshot {
  const { version: current } = MACHINES[kind];
  let snapshot = stored;
  for (let version = machineVersion; version < current; version++) {
    const migrate = MIGRATIONS[kind][version];
    if (!migrate) {
      throw new IncompatibleSnapshotError(
        `run was saved by ${kind === 'refresh' ? '' : `${kind} `}machine version ${machineVersion}, this refork has version ${current}: finish it with the refork version that started it, or \`refork abort\` it`,
      );
    }
    snapshot = migrate(snapshot);
  }
  return snapshot;
}

/** An actor is created but never started: we only want the snapshot object `transition()` needs. */
export function restore(stored: PersistedSnapshot, machineVersion: number): RefreshSnapshot;
export function restore(stored: PersistedSnapshot, machineVersion: number, kind: RunKind): RunSnapshot;
export function restore(stored: PersistedSnapshot, machineVersion: number, kind: RunKind = 'refresh'): RunSnapshot {
  const { machine, version } = MACHINES[kind];
  if (machineVersion > version) {
    throw new IncompatibleSnapshotError(
      `run was saved by ${kind} machine version ${machineVersion}, newer than this refork's ${version}: run it with the newer refork, or \`refork abort\` it there`,
    );
  }
  const current = upgrade(stored, machineVersion, kind);
  const snapshot = createActor(machine, { snapshot: current as unknown as Snapshot<unknown> }).getSnapshot() as RunSnapshot;
  if (snapshot.status === 'error')
    throw new IncompatibleSnapshotError('stored snapshot cannot be restored (unknown state): `refork abort` the run');
  return snapshot;
}

export function stateOf(snapshot: RunSnapshot): string {
  const value: StateValue = snapshot.value;
  return typeof value === 'string' ? value : JSON.stringify(value);
}

export function statusOf(snapshot: RunSnapshot): RunStatus {
  if (snapshot.status !== 'done') return 'active';
  return stateOf(snapshot) as FinalState;
}

export interface PendingEffect {
  /** Invoke id: the done/error event names it. */
  id: string;
  src: EffectName;
  input: unknown;
}

/** The effects the machines name (their `setup({ actors })`), asked of the machines themselves. */
const EFFECTS: ReadonlySet<string> = new Set(Object.values(MACHINES).flatMap(({ machine }) => Object.keys(machine.implementations.actors)));

function isEffectName(src: unknown): src is EffectName {
  return typeof src === 'string' && EFFECTS.has(src);
}

/** The effect the current state has started (per the persisted snapshot), or null in a final state. */
export function pendingEffect(snapshot: RunSnapshot): PendingEffect | null {
  const persisted = machineOf(snapshot).getPersistedSnapshot(snapshot as AnyMachineSnapshot) as unknown as {
    children: Record<string, { src: unknown; snapshot: { status: string; input: unknown } }>;
  };
  for (const [id, child] of Object.entries(persisted.children)) {
    if (child.snapshot.status !== 'active') continue;
    if (!isEffectName(child.src)) {
      throw new IncompatibleSnapshotError(`stored snapshot names an unknown effect "${String(child.src)}"`);
    }
    return { id, src: child.src, input: child.snapshot.input };
  }
  return null;
}
