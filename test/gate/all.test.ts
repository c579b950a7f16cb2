// `npm test`'s runner (scripts/all.mjs) runs its commands side by side: its exit code must still be
// 0 only when every one of them passed, whichever failed and however.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = new URL('../..', import.meta.url).pathname;

function all(...commands: string[]): { code: number | null; output: string } {
  const result = spawnSync(process.execPath, [join(ROOT, 'scripts/all.mjs'), ...commands], { encoding: 'utf8' });
  return { code: result.status, output: result.stdout + result.stderr };
}

const pass = (said: string) => `node -e "console.log('${said}')"`;
const fail = (said: string, code: number) => `node -e "console.log('${said}'); process.exit(${code})"`;

describe("npm test's runner", () => {
  it('exits 0 when every command passed, streaming the last one', () => {
    const { code, output } = all(pass('types fine'), pass('lint fine'), pass('suites fine'));
    expect(code, output).toBe(0);
    expect(output).toContain('suites fine');
    expect(output).toContain(`── ${pass('types fine')}: passed`);
    // A passing check's own output is left out; only the streamed one shows.
    expect(output).not.toContain('lint fine\n');
    expect(output.trim().split('\n').at(-1)).toMatch(/^── all 3 passed/);
  });

  it('exits 1 when a check fails while the suites pass, and shows what it printed', () => {
    const { code, output } = all(pass('types fine'), fail('src/a.ts: 1 problem', 1), pass('suites fine'));
    expect(code, output).toBe(1);
    expect(output).toContain('src/a.ts: 1 problem');
    expect(output.trim().split('\n').at(-1)).toContain('FAILED');
  });

  it('exits 1 when the suites fail, when a command is killed, and when one cannot start', () => {
    expect(all(pass('types fine'), fail('1 failed', 1)).code).toBe(1);
    expect(all(`node -e "process.kill(process.pid, 'SIGKILL')"`, pass('suites fine')).code).toBe(1);
    const missing = all('refork-no-such-command-anywhere', pass('suites fine'));
    expect(missing.code, missing.output).toBe(1);
  });

  it('passes a check’s exit code of 2 on as a failure too, and says which', () => {
    const { code, output } = all(fail('bad config', 2), pass('suites fine'));
    expect(code).toBe(1);
    expect(output).toContain('exited 2');
  });
});
