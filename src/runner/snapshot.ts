// Between the machine and the control table: restore a stored snapshot, find the effect it
// has pending (its active invoked child is the outbox entry), and derive the run's status.
import { createActor, type AnyStateMachine, type Snapshot, type SnapshotFrom } from 'xstate';
import { MACHINE_VERSION, refreshMachine, type FinalState } from '../../machines/refresh.js';
import type { PersistedSnapshot, RunStatus } from '../store/types.js';
import type { EffectName } from '../steps/types.js';

export type RefreshSnapshot = SnapshotFrom<typeof refreshMachine>;

export function persist(snapshot: RefreshSnapshot): PersistedSnapshot {
  // Through JSON, so what we keep in memory is exactly what a restore will read.
  return JSON.parse(JSON.stringify(refreshMachine.getPersistedSnapshot(snapshot))) as PersistedSnapshot;
}

export class IncompatibleSnapshotError extends Error {
  override readonly name = 'IncompatibleSnapshotError';
}

/** An actor is created but never started: we only want the snapshot object `transition()` needs. */
export function restore(stored: PersistedSnapshot, machineVersion: number): RefreshSnapshot {
  if (machineVersion !== MACHINE_VERSION) {
    throw new IncompatibleSnapshotError(
      `run was saved by machine version ${machineVersion}, this refork has version ${MACHINE_VERSION}: finish it with the refork version that started it, or \`refork abort\` it`,
    );
  }
  const machine: AnyStateMachine = refreshMachine;
  const snapshot = createActor(machine, { snapshot: stored as unknown as Snapshot<unknown> }).getSnapshot() as RefreshSnapshot;
  if (snapshot.status === 'error')
    throw new IncompatibleSnapshotError('stored snapshot cannot be restored (unknown state): `refork abort` the run');
  return snapshot;
}

export function stateOf(snapshot: RefreshSnapshot): string {
  return typeof snapshot.value === 'string' ? snapshot.value : JSON.stringify(snapshot.value);
}

export function statusOf(snapshot: RefreshSnapshot): RunStatus {
  if (snapshot.status !== 'done') return 'active';
  return stateOf(snapshot) as FinalState;
}

export interface PendingEffect {
  /** Invoke id: the done/error event names it. */
  id: string;
  src: EffectName;
  input: unknown;
}

const EFFECTS: ReadonlySet<string> = new Set<EffectName>([
  'preflight',
  'createFork',
  'waitForFork',
  'anonymize',
  'verify',
  'promote',
  'cleanup',
  'compensate',
]);

/** The effect the current state has started (per the persisted snapshot), or null in a final state. */
export function pendingEffect(snapshot: RefreshSnapshot): PendingEffect | null {
  const persisted = refreshMachine.getPersistedSnapshot(snapshot) as unknown as {
    children: Record<string, { src: unknown; snapshot: { status: string; input: unknown } }>;
  };
  for (const [id, child] of Object.entries(persisted.children)) {
    if (child.snapshot.status !== 'active') continue;
    if (typeof child.src !== 'string' || !EFFECTS.has(child.src)) {
      throw new IncompatibleSnapshotError(`stored snapshot names an unknown effect "${String(child.src)}"`);
    }
    return { id, src: child.src as EffectName, input: child.snapshot.input };
  }
  return null;
}
