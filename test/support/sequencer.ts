// Longest suites first, so that the short ones fill the workers at the end instead of one long
// suite running alone while the others sit idle (the suite is a bin-packing of ~110 files onto 3
// workers). A suite's length is its duration in vitest's cache from an earlier run here; on a
// clean clone (CI) there is none, and vitest's default falls back to file size, which puts the
// crash suites (small files, minutes each) last. So a suite with no recorded duration gets an
// estimate from what it does: the crash and chaos suites spawn the CLI hundreds of times, the
// end-to-end ones tens of times, the rest not at all.
import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

const ESTIMATES: Array<[RegExp, number]> = [
  [/^test\/crash\//, 100_000],
  [/^test\/chaos\//, 60_000],
  [/^test\/(e2e|secrets|fidelity|package|gate|corpus)\//, 30_000],
];

export default class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const weight = (file: TestSpecification): number => {
      const path = relative(this.ctx.config.root, file.moduleId);
      const recorded = this.ctx.cache.getFileTestResults(`${file.project.name}:${path}`)?.duration;
      return recorded ?? ESTIMATES.find(([pattern]) => pattern.test(path))?.[1] ?? 1_000;
    };
    return [...files].sort((a, b) => weight(b) - weight(a));
  }
}
