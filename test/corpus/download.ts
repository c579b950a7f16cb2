// Brings a corpus schema's package from its registry into a cache outside version control
// (.cache/corpus/, gitignored): nothing a registry serves is committed. Packages are pinned:
// an npm package by exact version and the registry's sha512 integrity (npm pack, then the
// tarball's own digest checked here); a Debian package by exact version and the sha256 of each
// file the corpus reads from it (apt-get download, then dpkg-deb). Debian point releases
// replace versions on the mirror, so a pinned version that is gone gives way to the current
// candidate, with a note saying so and the new file's digest (docs/corpus.md). Every failure
// is one line naming the package and what to do.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DebianSource, NpmSource, Source } from './manifest.js';

export const CACHE_DIR = new URL('../../.cache/corpus/', import.meta.url).pathname;

export interface Materialized {
  /** Where the package's files are: a path inside the package is joined to it. */
  root: string;
  /** The version actually used (a Debian fallback differs from the pin). */
  version: string;
  /** What the reader of the corpus report must know (a fallback, a changed digest). */
  notes: string[];
}

export class DownloadError extends Error {}

export async function materialize(source: Source, name: string): Promise<Materialized> {
  switch (source.registry) {
    case 'npm':
      return npmPackage(source);
    case 'debian':
      return debianPackage(source);
    case 'ours':
      return { root: new URL('./schemas/', import.meta.url).pathname, version: 'this repository', notes: [] };
    default:
      throw new DownloadError(`corpus ${name}: unknown source`);
  }
}

function sha(algorithm: 'sha256' | 'sha512', data: Buffer, encoding: 'hex' | 'base64'): string {
  return createHash(algorithm).update(data).digest(encoding);
}

function run(command: string, args: string[], cwd: string): { ok: boolean; out: string } {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (result.error) return { ok: false, out: result.error.message };
  return { ok: result.status === 0, out: `${result.stdout}${result.stderr}` };
}

function lastLine(text: string): string {
  return (
    text
      .trim()
      .split('\n')
      .filter((line) => !/^W: /.test(line))
      .at(-1) ?? ''
  );
}

/** Moves a freshly filled directory into place; another process may have got there first. */
async function settle(from: string, to: string): Promise<void> {
  await mkdir(join(to, '..'), { recursive: true });
  try {
    await rename(from, to);
  } catch (error) {
    if (!existsSync(to)) throw error;
    await rm(from, { recursive: true, force: true });
  }
}

async function npmPackage(source: NpmSource): Promise<Materialized> {
  const spec = `${source.package}@${source.version}`;
  const dir = join(CACHE_DIR, 'npm', `${source.package.replace('/', '+')}@${source.version}`);
  const marker = join(dir, '.integrity');
  if (existsSync(marker) && (await readFile(marker, 'utf8')) === source.integrity) {
    return { root: join(dir, 'package'), version: source.version, notes: [] };
  }
  await mkdir(CACHE_DIR, { recursive: true });
  const work = await mkdtemp(join(CACHE_DIR, '.npm-'));
  try {
    const pack = run('npm', ['pack', spec, '--silent', '--pack-destination', work], work);
    const tarball = (await readdir(work)).find((file) => file.endsWith('.tgz'));
    if (!pack.ok || !tarball) {
      throw new DownloadError(`could not download npm package ${spec}: ${lastLine(pack.out) || 'npm pack wrote no tarball'}`);
    }
    const integrity = `sha512-${sha('sha512', await readFile(join(work, tarball)), 'base64')}`;
    if (integrity !== source.integrity) {
      throw new DownloadError(
        `npm package ${spec} is not the one the corpus pinned: its tarball's integrity is ${integrity}, the manifest says ${source.integrity}`,
      );
    }
    const extracted = join(work, 'x');
    await mkdir(extracted);
    const untar = run('tar', ['-xzf', join(work, tarball), '-C', extracted], work);
    if (!untar.ok) throw new DownloadError(`could not unpack npm package ${spec}: ${lastLine(untar.out)}`);
    await writeFile(join(extracted, '.integrity'), source.integrity);
    await settle(extracted, dir);
    return { root: join(dir, 'package'), version: source.version, notes: [] };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

async function digestsMatch(dir: string, files: Record<string, string>): Promise<boolean> {
  for (const [path, digest] of Object.entries(files)) {
    const file = join(dir, path);
    if (!existsSync(file) || sha('sha256', await readFile(file), 'hex') !== digest) return false;
  }
  return true;
}

/** apt-get download, once more after `apt-get update` when the lists may be missing or old. */
function aptDownload(spec: string, cwd: string, updated: { done: boolean }): { ok: boolean; out: string } {
  let attempt = run('apt-get', ['download', '-q', spec], cwd);
  if (!attempt.ok && !updated.done) {
    updated.done = true;
    const update = run('apt-get', ['update', '-q'], cwd);
    if (!update.ok) return { ok: false, out: `apt-get update failed: ${lastLine(update.out)}` };
    attempt = run('apt-get', ['download', '-q', spec], cwd);
  }
  return attempt;
}

function candidateVersion(pkg: string, cwd: string): string | undefined {
  const policy = run('apt-cache', ['policy', pkg], cwd);
  const candidate = /Candidate: (\S+)/.exec(policy.out)?.[1];
  return candidate && candidate !== '(none)' ? candidate : undefined;
}

/** dpkg-deb --fsys-tarfile <deb> | tar -x <members>: only the files the corpus reads. */
function extractMembers(deb: string, into: string, members: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const dpkg = spawn('dpkg-deb', ['--fsys-tarfile', deb], { stdio: ['ignore', 'pipe', 'pipe'] });
    const tar = spawn('tar', ['-x', '-C', into, ...members.map((member) => `./${member}`)], { stdio: ['pipe', 'ignore', 'pipe'] });
    let errors = '';
    dpkg.stderr.on('data', (chunk: Buffer) => (errors += chunk.toString()));
    tar.stderr.on('data', (chunk: Buffer) => (errors += chunk.toString()));
    dpkg.stdout.pipe(tar.stdin);
    dpkg.on('error', reject);
    tar.on('error', reject);
    tar.on('close', (code) => (code === 0 ? resolve() : reject(new Error(lastLine(errors) || `tar exited ${code}`))));
  });
}

async function debianPackage(source: DebianSource): Promise<Materialized> {
  const pinned = join(CACHE_DIR, 'debian', `${source.package}_${source.version}`);
  if (await digestsMatch(pinned, source.files)) return { root: pinned, version: source.version, notes: [] };
  await mkdir(CACHE_DIR, { recursive: true });
  const work = await mkdtemp(join(CACHE_DIR, '.deb-'));
  const notes: string[] = [];
  try {
    const updated = { done: false };
    let version = source.version;
    let download = aptDownload(`${source.package}=${version}`, work, updated);
    if (!download.ok) {
      const candidate = candidateVersion(source.package, work);
      if (!candidate || candidate === version) {
        throw new DownloadError(
          `could not download Debian package ${source.package}=${version}: ${lastLine(download.out)} (run apt-get update; the machine needs Debian's package lists)`,
        );
      }
      // A point release replaced the pinned version: the corpus goes on with the current one, and says so.
      version = candidate;
      download = aptDownload(`${source.package}=${version}`, work, updated);
      if (!download.ok) {
        throw new DownloadError(`could not download Debian package ${source.package}=${version}: ${lastLine(download.out)}`);
      }
      notes.push(`Debian ${source.package} ${source.version} has left the mirror; used the current candidate ${version}`);
    }
    const deb = (await readdir(work)).find((file) => file.endsWith('.deb'));
    if (!deb) throw new DownloadError(`apt-get download ${source.package}=${version} wrote no .deb`);
    const extracted = join(work, 'x');
    await mkdir(extracted);
    await extractMembers(join(work, deb), extracted, Object.keys(source.files)).catch((error: unknown) => {
      throw new DownloadError(
        `could not extract ${Object.keys(source.files).join(', ')} from ${deb}: ${error instanceof Error ? error.message : String(error)}`,
      );
    });
    for (const [path, digest] of Object.entries(source.files)) {
      const actual = sha('sha256', await readFile(join(extracted, path)), 'hex');
      if (actual === digest) continue;
      if (version === source.version) {
        throw new DownloadError(`Debian ${source.package} ${version}: ${path} has sha256 ${actual}, the manifest pinned ${digest}`);
      }
      notes.push(
        `${path} of ${source.package} ${version} has sha256 ${actual} (the pinned ${source.version} had ${digest}): check its truth file`,
      );
    }
    const dir = join(CACHE_DIR, 'debian', `${source.package}_${version}`);
    await rm(dir, { recursive: true, force: true });
    await settle(extracted, dir);
    return { root: dir, version, notes };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
