import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorCases, type ErrorCase, type WireValue } from '../support/compat-cases';
import { decode, download, FIXTURES, meanDiff, post, rawHttp, startServer, type Fields, type ServerProc } from './support';

/** The face sits in the middle of both committed portraits. */
const FACE: [number, number, number, number] = [0.3, 0.15, 0.7, 0.65];
const TMP = mkdtempSync(join(tmpdir(), 'face-reshape-serve-'));
let server: ServerProc;

beforeAll(async () => {
  server = await startServer(['--cors-origin', 'http://allowed.test']);
});
afterAll(async () => {
  if (server) expect(await server.stop(), server.output()).toBe(0);
  rmSync(TMP, { recursive: true, force: true });
});

function curl(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) =>
    execFile('curl', ['-sS', ...args], { maxBuffer: 64 << 20, encoding: 'latin1' }, (err, stdout, stderr) =>
      done({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    ),
  );
}

/** A wire value as multipart text fields: arrays become repeated fields (a second value for one-element arrays). */
function asFields(v: WireValue): string | string[] {
  if (v === null) return 'null';
  if (Array.isArray(v)) return v.length === 1 ? [String(v[0]), String(v[0])] : v.map(String);
  if (typeof v === 'object' && '$nan' in v) return 'NaN';
  return String(v);
}

function fieldsOf(c: ErrorCase): Fields {
  const f: Fields = {};
  if (c.image) f.image = c.image;
  else if (c.imageValue !== undefined) f.image = asFields(c.imageValue);
  if ('shape_type' in c) f.shape_type = asFields(c.shape_type!);
  if ('strength' in c) f.strength = asFields(c.strength!);
  return f;
}

function expectError(r: { status: number; body: any }, status: number, code: string, what: string) {
  expect([r.status, r.body?.error_code, r.body?.error_detail?.status_code, r.body?.error_detail?.code, r.body?.error_code_str], `${what}: ${JSON.stringify(r.body)}`).toEqual([
    status,
    status,
    status,
    code,
    code,
  ]);
  expect(r.body.data, what).toBeUndefined();
  expect(r.body.error_detail.message.length, what).toBeGreaterThan(10);
}

describe('face-reshape serve: the cloud endpoint on 127.0.0.1', () => {
  it('curl with the cloud\'s three fields gets a 200 envelope whose image_url downloads the reshaped JPEG', async () => {
    const input = join(TMP, 'face.jpg');
    writeFileSync(input, FIXTURES.hopper);
    const r = await curl(['-F', `image=@${input}`, '-F', 'shape_type=2', '-F', 'strength=0.6', '-w', '\n%{http_code}', server.api]);
    expect(r.code, r.stderr).toBe(0);
    const [json, status] = r.stdout.trim().split('\n');
    expect(status).toBe('200');
    const env = JSON.parse(json);
    expect(Object.keys(env).sort()).toEqual(['data', 'error_code', 'error_code_str', 'error_detail', 'error_msg', 'log_id', 'request_id']);
    expect([env.error_code, env.error_code_str, env.error_msg, env.error_detail]).toEqual([0, '', '', { status_code: 200, code: '', code_message: '', message: '' }]);
    expect(env.request_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(env.data.image_url).toMatch(new RegExp(`^${server.url}/results/[A-Za-z0-9_-]{24}\\.jpg$`));
    // Download it with curl too, headers included.
    const out = join(TMP, 'out.jpg');
    const d = await curl(['-D', '-', '-o', out, env.data.image_url]);
    expect(d.stdout).toMatch(/^HTTP\/1\.1 200/);
    expect(d.stdout).toMatch(/content-type: image\/jpeg/i);
    expect(d.stdout).toMatch(/x-content-type-options: nosniff/i);
    expect(d.stdout).toMatch(/cache-control: private, max-age=(8639\d|86400)/i);
    const got = decode(new Uint8Array(readFileSync(out)));
    const src = decode(FIXTURES.hopper);
    expect([got.width, got.height]).toEqual([src.width, src.height]);
    const face = meanDiff(got, src, FACE);
    const corner = meanDiff(got, src, [0, 0.85, 0.15, 1]);
    console.log(`curl: face region changed by ${face.toFixed(2)}, bottom-left corner by ${corner.toFixed(2)} (JPEG re-encode)`);
    expect(face).toBeGreaterThan(1.0);
    expect(corner).toBeLessThan(face / 2);
  });

  it('a Node fetch with FormData gets the PNG back; repeated edit=NAME:X fields apply several edits in one pass', async () => {
    const src = decode(FIXTURES.astronaut);
    const one = await post(server.api, { image: FIXTURES.astronaut, shape_type: '8', strength: '1' });
    expect(one.status, JSON.stringify(one.body)).toBe(200);
    const many = await post(server.api, { image: FIXTURES.astronaut, edit: ['slim_face:0.8', 'big_eyes:0.6', '19:-0.5'] });
    expect(many.status, JSON.stringify(many.body)).toBe(200);
    const both = await post(server.api, { image: FIXTURES.astronaut, shape_type: '8', strength: '1', edit: ['slim_face=0.8'] });
    expect(both.status, JSON.stringify(both.body)).toBe(200);
    const outs = [];
    for (const r of [one, many, both]) {
      expect(r.body.data.image_url).toMatch(/\/results\/[A-Za-z0-9_-]{24}\.png$/);
      const d = await download(r.body.data.image_url);
      expect([d.status, d.type]).toEqual([200, 'image/png']);
      const img = decode(d.bytes);
      expect([img.width, img.height]).toEqual([src.width, src.height]);
      expect(meanDiff(img, src, FACE)).toBeGreaterThan(0.1); // lossless PNG: the identity would be 0
      outs.push(img);
    }
    // The extra edit changed the result: three different images.
    expect(meanDiff(outs[0], outs[2], FACE)).toBeGreaterThan(0.1);
    expect(meanDiff(outs[0], outs[1], FACE)).toBeGreaterThan(0.1);
    // Bad edit fields get the contract's codes.
    expectError(await post(server.api, { image: FIXTURES.astronaut, edit: ['slim_face'] }), 400, 'ERROR_INVALID_PARAMETER', 'edit without strength');
    expectError(await post(server.api, { image: FIXTURES.astronaut, edit: ['slim_face:1.5'] }), 422, 'UNSUPPORTED_PARAMETER_VALUES', 'edit strength 1.5');
  });

  it('answers every row of the contract\'s error table over HTTP; valid requests still succeed afterwards', async () => {
    const rows: string[] = [];
    for (const c of errorCases()) {
      const r = await post(server.api, fieldsOf(c));
      rows.push(`${r.status} ${String(r.body?.error_detail?.code).padEnd(30)} ${r.ms.toFixed(0).padStart(5)} ms  ${c.name}`);
      expectError(r, c.status, c.code, c.name);
    }
    console.log('error table over HTTP:\n' + rows.join('\n'));
    const ok = await post(server.api, { image: FIXTURES.hopper, shape_type: '2', strength: '0.5' });
    expect(ok.status).toBe(200);
  });

  it('refuses what is not the cloud\'s request: no multipart, the file under another name, two files, a text image', async () => {
    const A = server.api;
    const ok = { shape_type: '2', strength: '0.5' };
    // No body, JSON, url-encoded, plain text: 400 MISSING_PARAMETERS, never parsed.
    expectError({ ...(await jsonOf(fetch(A, { method: 'POST' }))) }, 400, 'MISSING_PARAMETERS', 'no body');
    expectError(await jsonOf(fetch(A, { method: 'POST', body: JSON.stringify({ image: 'x', ...ok }), headers: { 'content-type': 'application/json' } })), 400, 'MISSING_PARAMETERS', 'json');
    expectError(await jsonOf(fetch(A, { method: 'POST', body: new URLSearchParams({ image: 'x', ...ok }) })), 400, 'MISSING_PARAMETERS', 'urlencoded');
    expectError(await jsonOf(fetch(A, { method: 'POST', body: 'hello', headers: { 'content-type': 'multipart/form-data' } })), 400, 'MISSING_PARAMETERS', 'multipart without boundary');
    const other = await post(A, { photo: FIXTURES.hopper, ...ok });
    expectError(other, 400, 'MISSING_PARAMETERS', 'file under "photo"');
    expect(other.body.error_detail.message).toContain('"photo"');
    expectError(await post(A, { image: [FIXTURES.hopper, FIXTURES.astronaut], ...ok }), 400, 'ERROR_INVALID_PARAMETER', 'two image files');
    expectError(await post(A, { image: [FIXTURES.hopper, 'second'], ...ok }), 400, 'ERROR_INVALID_PARAMETER', 'a file and a text image');
    expectError(await post(A, { image: FIXTURES.hopper, a: FIXTURES.hopper, b: FIXTURES.hopper, c: FIXTURES.hopper, d: FIXTURES.hopper, ...ok }), 400, 'ERROR_INVALID_PARAMETER', 'five files');
    expectError(await post(A, { image: FIXTURES.hopper, shape_type: ['2', '3'], strength: '0.5' }), 400, 'ERROR_INVALID_PARAMETER', 'repeated shape_type');
    expectError(await post(A, { image: FIXTURES.hopper, shape_type: '2', strength: '0.5'.padEnd(5000, '0') }), 400, 'ERROR_INVALID_PARAMETER', 'a 5 KB field');
    // A file beside the image under another name is drained and ignored.
    expect((await post(A, { image: FIXTURES.astronaut, thumbnail: FIXTURES.hopper, ...ok })).status).toBe(200);
    // Other methods and paths: envelopes too.
    const get = await jsonOf(fetch(A));
    expectError(get, 405, 'METHOD_NOT_ALLOWED', 'GET on the API');
    expectError(await jsonOf(fetch(server.url + '/api/portrait/effects/other', { method: 'POST' })), 404, 'NOT_FOUND', 'unknown path');
  });

  it('answers a 50 MB upload with 413 while it streams, without reading it whole; memory stays flat', async () => {
    const big = new Uint8Array(50 * 1024 * 1024);
    big.set(FIXTURES.hopper.subarray(0, 4096));
    const rss0 = server.rss();
    const times: number[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await post(server.api, { image: big, shape_type: '2', strength: '0.5' });
      expectError(r, 413, 'FILE_SIZE_EXCEEDS_LIMIT', '50 MB JPEG');
      times.push(r.ms);
    }
    // Not an image: 415 even when large (the cloud checks the type first).
    expectError(await post(server.api, { image: new Uint8Array(8 * 1024 * 1024).fill(65), shape_type: '2', strength: '0.5' }), 415, 'UNSUPPORTED_FILE_TYPES', '8 MB of text');
    // curl too: it stops sending when the answer arrives.
    const file = join(TMP, 'big.jpg');
    writeFileSync(file, big);
    const c = await curl(['-F', `image=@${file}`, '-F', 'shape_type=2', '-F', 'strength=0.5', '-w', '\n%{http_code} %{size_upload} %{time_total}', server.api]);
    const [status, uploaded, secs] = c.stdout.trim().split('\n').pop()!.split(' ');
    const rss1 = server.rss();
    console.log(`50 MB uploads: 413 after ${times.map((t) => t.toFixed(0)).join(', ')} ms (fetch); curl ${status} after ${(Number(secs) * 1000).toFixed(0)} ms having sent ${(Number(uploaded) / 1048576).toFixed(1)} MB; server RSS ${(rss0 / 1048576).toFixed(0)} → ${(rss1 / 1048576).toFixed(0)} MB`);
    expect(status).toBe('413');
    expect(Number(uploaded)).toBeLessThan(50 * 1024 * 1024);
    expect(Math.max(...times)).toBeLessThan(3000);
    expect(rss1 - rss0).toBeLessThan(40 * 1024 * 1024);
  });

  it('never serves anything outside the result store: path traversal on /results/ is 404', async () => {
    const env = (await post(server.api, { image: FIXTURES.astronaut, shape_type: '2', strength: '0.5' })).body;
    const name = env.data.image_url.split('/').pop();
    const attempts = [
      '/results/../package.json',
      '/results/..%2fpackage.json',
      '/results/..%2F..%2F..%2Fetc%2Fpasswd',
      '/results/%2e%2e/%2e%2e/etc/passwd',
      '/results/%2e%2e%2f%2e%2e%2fetc%2fpasswd',
      '/results/..%5c..%5cpackage.json',
      '/results/....//....//etc/passwd',
      '/results/%252e%252e%252fpackage.json',
      '/results//etc/passwd',
      '/results/%00',
      `/results/${name}%00.png`,
      `/results/${name}/..`,
      `/results/../results/${name.replace(/\.png$/, '.jpg')}`,
      `/results/${name.slice(0, -4)}.PNG`,
      `/results/${name.slice(1)}`,
      '/results/' + 'A'.repeat(24) + '.png',
      '/results/' + 'A'.repeat(5000),
      '/package.json',
      '/dist/index.js',
      '/../../../../etc/passwd',
      '/%2e%2e/%2e%2e/etc/passwd',
    ];
    const rows: string[] = [];
    for (const p of attempts) {
      const r = await rawHttp(server.url, `GET ${p} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
      rows.push(`${r.status} ${p.slice(0, 70)}`);
      expect([400, 404, 414], `${p}: ${r.head}`).toContain(r.status);
      expect(r.body, p).not.toMatch(/root:|"name": "webgpu-face-reshape"|\x89PNG/);
    }
    // The real name still works, by GET and HEAD.
    expect((await rawHttp(server.url, `GET /results/${name} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`)).status).toBe(200);
    expect((await rawHttp(server.url, `HEAD /results/${name} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`)).head).toMatch(/content-type: image\/png/i);
    console.log('traversal attempts:\n' + rows.join('\n'));
  });

  it('sends CORS headers only to listed origins, and logs no request content', async () => {
    const pre = (origin: string) =>
      fetch(server.api, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'ailabapi-api-key' } });
    const allowed = await pre('http://allowed.test');
    expect(allowed.headers.get('access-control-allow-origin')).toBe('http://allowed.test');
    expect(allowed.headers.get('access-control-allow-headers') ?? '').toContain('ailabapi-api-key');
    const denied = await pre('http://evil.test');
    expect(denied.headers.get('access-control-allow-origin')).toBeNull();
    const r = await fetch(server.api, { method: 'POST', body: formOf({ shape_type: '2' }), headers: { origin: 'http://evil.test' } });
    expect(r.headers.get('access-control-allow-origin')).toBeNull();
    // Only the start-up line: no fields, file names, ids or image bytes.
    expect(server.output().trim().split('\n')).toHaveLength(1);
    expect(server.output()).toMatch(/^face-reshape serve: listening on/);
  });
});

async function jsonOf(p: Promise<Response>): Promise<{ status: number; body: any }> {
  const r = await p;
  return { status: r.status, body: await r.json() };
}

function formOf(f: Record<string, string>): FormData {
  const fd = new FormData();
  for (const [k, v] of Object.entries(f)) fd.append(k, v);
  return fd;
}
