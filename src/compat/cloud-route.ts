import type { FaceReshaper } from '../reshaper.js';
import { serverErrorEnvelope } from './server-codes.js';
import { parseEditFields } from './edit-fields.js';
import { errorEnvelope, envelopeFromError, type FacialAestheticsEnvelope } from './envelope.js';
import { runFacialAesthetics, sharedReshaper } from './facial-aesthetics.js';

/** The retired cloud endpoint. */
export const CLOUD_URL = 'https://www.ailabapi.com/api/portrait/effects/face-tidyup';
const CLOUD_PATH = '/api/portrait/effects/face-tidyup';

export interface CloudRouteOptions {
  /**
   * Which requests to answer: a URL (matched without query or trailing slash), a RegExp tested
   * on the absolute URL, or a predicate. Default: `https://www.ailabapi.com/api/portrait/effects/face-tidyup`
   * (and `https://ailabapi.com/…`).
   */
  url?: string | RegExp | ((url: URL) => boolean);
  /** Reshaper to use; default: the compat layer's shared one (created on first use). */
  reshaper?: FaceReshaper | Promise<FaceReshaper>;
}

export interface CloudRoute {
  /** Stops answering; `fetch` is restored (if nothing wrapped it since, it becomes the original again). */
  uninstall(): void;
  /** Requests answered so far. */
  readonly handled: number;
}

function matcher(url: CloudRouteOptions['url']): (u: URL) => boolean {
  const norm = (u: URL) => `${u.origin}${u.pathname.replace(/\/+$/, '')}`;
  if (typeof url === 'function') return url;
  if (url instanceof RegExp) return (u) => url.test(u.href);
  if (typeof url === 'string') {
    const want = norm(new URL(url, globalThis.location?.href));
    return (u) => norm(u) === want;
  }
  return (u) => (u.hostname === 'www.ailabapi.com' || u.hostname === 'ailabapi.com') && u.protocol === 'https:' && u.pathname.replace(/\/+$/, '') === CLOUD_PATH;
}

function respond(envelope: FacialAestheticsEnvelope, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(envelope), {
    status: envelope.error_code === 0 ? 200 : envelope.error_code,
    headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
  });
}

/**
 * Answers the cloud's facial-aesthetics request inside the page, with the local engine: code that
 * does `fetch(CLOUD_URL, { method: 'POST', body: formData })` (fields `image`, `shape_type`,
 * `strength`; optional repeated `edit=NAME:X`) gets the cloud's envelope back, with the status code
 * as its HTTP status, and no network request is made. `data.image_url` is a `blob:` URL; it stays
 * valid until you `URL.revokeObjectURL()` it. The `ailabapi-api-key` header is ignored.
 *
 * Only `fetch` is covered (window.fetch / globalThis.fetch, in pages and workers); XMLHttpRequest
 * and `navigator.sendBeacon` still go to the network. Other URLs pass through to the real fetch.
 */
export function installCloudRoute(options: CloudRouteOptions = {}): CloudRoute {
  const g = globalThis as { fetch: typeof fetch };
  const original = g.fetch;
  if (typeof original !== 'function') throw new TypeError('installCloudRoute: this environment has no fetch to route.');
  const matches = matcher(options.url);
  let active = true;
  let handled = 0;

  const routed = async function fetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
    let url: URL | null = null;
    try {
      const raw = input instanceof Request ? input.url : String(input instanceof URL ? input.href : input);
      url = new URL(raw, globalThis.location?.href);
    } catch {
      url = null;
    }
    if (!active || !url || !matches(url)) return original.call(globalThis, input, init);
    handled++;
    const request = new Request(input, init);
    if (request.signal.aborted) throw request.signal.reason ?? new DOMException('The operation was aborted.', 'AbortError');
    if (request.method !== 'POST') {
      return respond(serverErrorEnvelope('METHOD_NOT_ALLOWED', `Use POST with multipart/form-data; got ${request.method}.`), { allow: 'POST' });
    }
    let form: FormData;
    try {
      form = await request.formData();
    } catch {
      return respond(
        errorEnvelope('MISSING_PARAMETERS', 'The request body must be multipart/form-data (a FormData) with the fields image (a file), shape_type and strength.'),
      );
    }
    try {
      const one = (k: string) => {
        const all = form.getAll(k);
        return all.length === 0 ? undefined : all.length === 1 ? all[0] : all;
      };
      const image = one('image');
      if (Array.isArray(image)) return respond(errorEnvelope('ERROR_INVALID_PARAMETER', `Send exactly one image; the form has ${image.length} image fields.`));
      const edits = parseEditFields(form.getAll('edit').map(String));
      const reshaper = await (options.reshaper ?? sharedReshaper());
      const { envelope, output } = await runFacialAesthetics({ image: image ?? undefined, shape_type: one('shape_type'), strength: one('strength') }, { reshaper, edits });
      if (output) envelope.data = { image_url: URL.createObjectURL(output) };
      return respond(envelope);
    } catch (e) {
      return respond(envelopeFromError(e));
    }
  };

  g.fetch = routed as typeof fetch;
  return {
    uninstall() {
      active = false;
      if (g.fetch === routed) g.fetch = original;
    },
    get handled() {
      return handled;
    },
  };
}
