// Releases: every config var change makes one. Apps with a release phase hold it `pending`
// until the phase "runs" (docs/heroku-api.md#release-phase), then `succeeded` (or `failed`).
import { randomUUID } from 'node:crypto';
import type { EventLog } from './events.js';
import type { Scheduler } from './scheduler.js';
import { type AppRecord, type ReleaseRecord, type SimState, now } from './state.js';

export class Releases {
  private failNext = 0;

  constructor(
    private readonly state: SimState,
    private readonly events: EventLog,
    private readonly scheduler: Scheduler,
    private readonly releaseDelayMs: number,
  ) {}

  failNextRelease(): void {
    this.failNext += 1;
  }

  create(app: AppRecord, description: string, runsReleasePhase = app.releasePhase): ReleaseRecord {
    const list = this.state.releasesOf(app);
    const release: ReleaseRecord = {
      id: randomUUID(),
      appId: app.id,
      version: (list.at(-1)?.version ?? 0) + 1,
      description,
      status: runsReleasePhase ? 'pending' : 'succeeded',
      createdAt: now(),
      updatedAt: now(),
    };
    list.push(release);
    this.events.emit('release.created', {
      app: this.state.ref(app),
      detail: { id: release.id, version: release.version, description, status: release.status },
    });
    if (release.status === 'pending') {
      const fails = this.failNext > 0;
      if (fails) this.failNext -= 1;
      this.scheduler.later(this.releaseDelayMs, () => this.finish(app, release, fails ? 'failed' : 'succeeded'));
    }
    return release;
  }

  private finish(app: AppRecord, release: ReleaseRecord, status: 'succeeded' | 'failed'): void {
    release.status = status;
    release.updatedAt = now();
    this.events.emit('release.updated', {
      app: this.state.ref(app),
      detail: { id: release.id, version: release.version, description: release.description, status },
    });
  }
}
