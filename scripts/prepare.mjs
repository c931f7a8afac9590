// `prepare`: npm runs it after `npm install` / `npm ci` in this repository, where it builds the model
// and every package, so the README's main-job command works on a fresh clone with no other step.
// npm also runs it on `npm pack` / `npm publish`, right after `prepack` built what the tarball
// holds; building everything again there would only cost time.
import { execSync } from 'node:child_process';

if (!['pack', 'publish'].includes(process.env.npm_command ?? '')) {
  execSync('npm run build:model && npm run build', { stdio: 'inherit' });
}
