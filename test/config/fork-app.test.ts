// fork_app in refork.yml: where forks live (a pipeline's own, else the file's, else the target)
// and the apps it may never be, each refused with one line that names the key and the fix.
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/pipeline.js';

const RULES = { tables: { users: 'truncate' } };
const pipeline = (source: string, target: string, extra: Record<string, unknown> = {}) => ({ source, target, anonymize: RULES, ...extra });

describe('fork_app', () => {
  it('is the pipeline’s own, else the file’s, else the target itself', () => {
    const config = parseConfig({
      fork_app: 'acme-refork',
      pipelines: {
        staging: pipeline('acme-prod', 'acme-staging'),
        qa: pipeline('acme-prod', 'acme-qa', { fork_app: 'acme-qa-forks', fork_app_access: 'refuse' }),
      },
    });
    expect(config.pipelines['staging']).toMatchObject({ forkApp: 'acme-refork', forkAppAccess: 'warn' });
    expect(config.pipelines['qa']).toMatchObject({ forkApp: 'acme-qa-forks', forkAppAccess: 'refuse' });
    expect(parseConfig({ pipelines: { staging: pipeline('acme-prod', 'acme-staging') } }).pipelines['staging']?.forkApp).toBe(
      'acme-staging',
    );
  });

  it.each([
    [
      { fork_app: 'acme-staging' },
      /pipelines\.staging\.fork_app: "acme-staging" is the target of pipeline staging; .*leave fork_app unset/,
    ],
    [{ fork_app: 'acme-prod' }, /pipelines\.staging\.fork_app: "acme-prod" is the source of pipeline staging/],
    [
      { fork_app: 'acme-qa' },
      /pipelines\.staging\.fork_app: "acme-qa" is the target of pipeline qa, whose collaborators would see unmasked forks/,
    ],
    [{ fork_app: 'acme-vault' }, /pipelines\.staging\.fork_app: "acme-vault" is in protected_apps/],
    [{ fork_app: 'Acme Forks' }, /pipelines\.staging\.fork_app: must be a Heroku app name/],
    [{ fork_app_access: 'maybe' }, /pipelines\.staging\.fork_app_access: must be warn or refuse/],
  ])('refuses %j with one line naming the key', (extra, message) => {
    const document = {
      protected_apps: ['acme-vault'],
      pipelines: { staging: pipeline('acme-prod', 'acme-staging', extra), qa: pipeline('acme-prod', 'acme-qa') },
    };
    expect(() => parseConfig(document)).toThrow(message);
  });

  it('names the file-wide key when the file-wide fork app is a target', () => {
    expect(() =>
      parseConfig({
        fork_app: 'acme-qa',
        pipelines: { staging: pipeline('acme-prod', 'acme-staging'), qa: pipeline('acme-prod', 'acme-qa') },
      }),
    ).toThrow(/^refork\.yml: fork_app: "acme-qa" is the target of pipeline qa/);
  });
});
