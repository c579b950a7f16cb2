// Attach the verified fork as DATABASE, as `heroku pg:promote` (docs/heroku-api.md#promotion)
// and `heroku addons:attach --as DATABASE` do (docs/fork-app.md): when the target owns its old
// database, keep an alias on it first (Heroku refuses to move an add-on's last billing
// attachment), then move DATABASE (the fork may be billed to another app: the fork app), then
// the connection pooler. Reads Heroku first, so a repeat is harmless. An old database billed
// elsewhere needs no alias here, which spares the target a restart: the promotion is then the
// only change it sees.
import type { Attachment } from '../heroku/types.js';
import { attachesAddon, isBillingAttachment, primaryDatabase } from './attachments.js';
import { mutation, type StepDeps } from './deps.js';
import { awaitAttachRelease } from './release-phase.js';
import { StepError, type PromoteInput, type PromoteOutput, type StepContext } from './types.js';

const POOLER = { name: 'DATABASE_CONNECTION_POOL', namespace: 'connection-pooling:default' };

export async function promote(deps: StepDeps, input: PromoteInput, { signal, logger }: StepContext): Promise<PromoteOutput> {
  const { heroku } = deps;
  const { app, fork } = input;
  let attachments = await heroku.listAttachments(app, { signal });
  const current = primaryDatabase(attachments);
  const pooler = attachments.find((a) => a.name === POOLER.name && a.namespace === POOLER.namespace);

  if (!current || !attachesAddon(current, fork.id)) {
    const status = await heroku.waitStatus(fork.id, { signal });
    if (!status || status['waiting?'] || status['error?']) {
      throw new StepError(
        `fork ${fork.name} is not available (${status?.message ?? 'unknown to the Postgres API'}); not promoting`,
        'fork_not_ready',
        true,
      );
    }
    if (current?.addon && isBillingAttachment(current, app)) await keepAlias(deps, app, current, attachments, signal);
    await mutation(deps, 'promote', () =>
      heroku.createAttachment({ addon: fork.id, app, name: 'DATABASE', namespace: null, confirm: app }, { signal }),
    );
    logger.info('fork promoted', { app, addon: fork.name });
    attachments = await heroku.listAttachments(app, { signal });
  }

  if (pooler && !attachesAddon(pooler, fork.id)) {
    await mutation(deps, 'repointPooler', () =>
      heroku.createAttachment({ addon: fork.id, app, name: POOLER.name, namespace: POOLER.namespace, confirm: app }, { signal }),
    );
  }
  const confirmed = primaryDatabase(attachments);
  if (!confirmed || !attachesAddon(confirmed, fork.id)) {
    throw new StepError(`after promotion, ${app}'s DATABASE is not ${fork.name}`, 'promotion_unconfirmed', true);
  }
  const releaseFailure = await awaitAttachRelease(deps, app, fork.name, signal);
  if (releaseFailure) logger.warn('release phase failed after promotion', { app, addon: fork.name, failure: releaseFailure });
  return { promoted: true, releaseFailure };
}

async function keepAlias(deps: StepDeps, app: string, current: Attachment, attachments: Attachment[], signal: AbortSignal) {
  const addonId = current.addon?.id ?? '';
  const alias = attachments.find(
    (a) => attachesAddon(a, addonId) && a.name !== 'DATABASE' && (a.namespace ?? null) === (current.namespace ?? null),
  );
  if (alias) return;
  // No name: Heroku picks HEROKU_POSTGRESQL_<COLOR>, as the CLI does.
  await mutation(deps, 'aliasOldDatabase', () =>
    deps.heroku.createAttachment({ addon: addonId, app, namespace: current.namespace ?? null, confirm: app }, { signal }),
  );
}
