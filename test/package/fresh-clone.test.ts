import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT } from '../support/env';
import { run } from './support';

/** The README's commands: the first line of its install block, and of its main-job block. */
function readmeCommands(): { install: string; mainJob: string } {
  const readme = readFileSync(resolve(ROOT, 'README.md'), 'utf8');
  const block = (heading: string) => {
    const at = readme.indexOf(heading);
    if (at < 0) throw new Error(`README.md has no "${heading}" section`);
    const m = /```sh\n([^\n]*)/.exec(readme.slice(at));
    return m![1].replace(/\s+#.*$/, '').trim();
  };
  return { install: block('## Set up and test'), mainJob: block('## The main job') };
}

describe('a fresh clone', () => {
  const dir = mkdtempSync(join(tmpdir(), 'face-reshape-clone-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.skipIf(!existsSync(resolve(ROOT, '.git')))("the README's install command alone, then its main-job command, writes the reshaped image", async () => {
    const { install, mainJob } = readmeCommands();
    expect(install).toMatch(/^npm (ci|install)\b/);
    expect(mainJob).toMatch(/^npx face-reshape reshape .* --out (\S+)$/);
    const out = /--out (\S+)$/.exec(mainJob)![1];

    const repo = join(dir, 'repo');
    await run('git', ['clone', '--quiet', ROOT, repo]);
    await run('bash', ['-c', `${install} --no-audit --no-fund --loglevel=error`], { cwd: repo, maxBuffer: 64 << 20 });
    expect(existsSync(join(repo, out)), 'nothing written before the command').toBe(false);
    const { stdout, stderr } = await run('bash', ['-c', mainJob], { cwd: repo, maxBuffer: 64 << 20 });
    console.log(`${mainJob}\n${stdout}${stderr}`);

    const png = PNG.sync.read(readFileSync(join(repo, out)));
    const input = PNG.sync.read(readFileSync(join(repo, 'test', 'fixtures', 'astronaut.png')));
    expect([png.width, png.height]).toEqual([input.width, input.height]);
    let changed = 0;
    for (let i = 0; i < png.data.length; i += 4) if (Math.abs(png.data[i] - input.data[i]) > 2) changed++;
    expect(changed, 'the face was reshaped').toBeGreaterThan(1000);
  }, 480_000); // a hang guard, not a speed check: npm ci and the whole build run inside it
});
