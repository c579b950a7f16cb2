// The append-only ground-truth log of every mutation: tests assert invariants on it.
import type { SimEvent, SimEventType, SimRef } from './types.js';

export interface EventFacts {
  app?: SimRef;
  addon?: SimRef;
  attachment?: { id: string; name: string; namespace: string | null };
  detail?: Record<string, unknown>;
}

export class EventLog {
  readonly all: SimEvent[] = [];

  emit(type: SimEventType, facts: EventFacts = {}): SimEvent {
    const event: SimEvent = { seq: this.all.length + 1, at: new Date().toISOString(), type, ...facts };
    this.all.push(event);
    return event;
  }

  since(seq: number): SimEvent[] {
    return this.all.filter((event) => event.seq > seq);
  }
}
