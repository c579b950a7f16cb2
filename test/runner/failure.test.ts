import { describe, expect, it } from 'vitest';
import { registerSecret } from '../../src/log/redact.js';
import { AnonymizeError } from '../../src/anonymize/index.js';
import { toStepFailure } from '../../src/runner/failure.js';

const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });

describe('toStepFailure', () => {
  it.each([
    ['a reset socket', withCode('read ECONNRESET', 'ECONNRESET')],
    ['an admin shutdown of the session', withCode('terminating connection due to administrator command', '57P01')],
    [
      'a pg client used after its connection broke',
      new Error('anonymizing public.customers failed: Client has encountered a connection error and is not queryable'),
    ],
    ['a connection ended under a query', new Error('Connection terminated unexpectedly')],
    ['a database still starting', new Error('the database system is starting up')],
    [
      "too many clients, under the engine's wrapping",
      new AnonymizeError('anonymizing public.users failed: sorry, too many clients already', 'public.users', '53300'),
    ],
  ])('retries %s', (_what, error) => {
    expect(toStepFailure(error, 'anonymizing', 1).retryable).toBe(true);
  });

  it.each([
    ['a constraint the masks break', withCode('new row for relation "users" violates check constraint "short"', '23514')],
    ['an uncovered column', new Error('public.users has unclassified columns: nickname')],
    [
      "a broken rule, under the engine's wrapping",
      new AnonymizeError('anonymizing public.users failed: invalid input syntax for type integer', 'public.users', '22P02'),
    ],
  ])('does not retry %s', (_what, error) => {
    expect(toStepFailure(error, 'anonymizing', 1).retryable).toBe(false);
  });

  it('lets a typed error decide, keeps its Heroku id, and stores one redacted line', () => {
    registerSecret('hunter2-failure-test');
    const error = Object.assign(new Error('bad token hunter2-failure-test\nsecond line'), { id: 'unauthorized', retryable: false });
    expect(toStepFailure(error, 'preflight', 7)).toEqual({
      step: 'preflight',
      message: 'bad token ***',
      code: 'unauthorized',
      retryable: false,
      at: 7,
    });
  });
});
