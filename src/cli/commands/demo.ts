import { runDemo } from '../../demo/run-demo.js';

/** `refork demo` (also `npm start`): the README's first command. */
export async function demoCommand(): Promise<number> {
  return runDemo();
}
