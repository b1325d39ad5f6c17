/**
 * @module What a browser-server session may ask of the server. A token holder drives Chromium through Playwright's
 * protocol, and that protocol can also act on the server's own machine: save a download to any path
 * (`Artifact.saveAs`), open raw DevTools sessions (which read `file:` URLs and set download folders), record videos
 * and traces into server folders, fetch URLs from the server's network, read local files into a page. None of that is
 * needed by a worker; the front door refuses it, and any URL outside the web's schemes.
 */

/** Protocol methods that touch the server's files, processes or network, or hand out raw DevTools. */
const DENIED_METHODS = new Set([
  'saveAs',
  'pathAfterFinished',
  'newCDPSession',
  'newBrowserCDPSession',
  'harStart',
  'harExport',
  'harOpen',
  'harLookup',
  'harClose',
  'harUnzip',
  'zip',
  'tracingStart',
  'tracingStartChunk',
  'tracingStopChunk',
  'tracingStop',
  'connect',
  'connectOverCDP',
  'launch',
  'launchPersistentContext',
  'launchServer',
  'newRequest',
  'fetch',
  'screencastStart',
]);

/** Parameters that name the server's paths or processes, or reroute the browser's network. */
const DENIED_PARAMS = new Set([
  'localPaths',
  'localDirectory',
  'path',
  'dir',
  'executablePath',
  'userDataDir',
  'downloadsPath',
  'tracesDir',
  'artifactsDir',
  'recordVideo',
  'recordHar',
  'zipFile',
  'outputFile',
  'absolutePath',
  'proxy',
]);

const URL_PARAMS = new Set(['url', 'baseURL']);
const WEB_SCHEMES = new Set(['http:', 'https:', 'ws:', 'wss:', 'data:', 'blob:']);
const BLANK_PAGES = new Set(['about:blank', 'about:srcdoc']);

/** Why one client message is refused, or undefined when it may pass. */
export function refuseClientMessage(message: unknown): string | undefined {
  if (typeof message !== 'object' || message === null) return 'not a protocol message';
  const { method, params } = message as { method?: unknown; params?: unknown };
  if (typeof method === 'string' && DENIED_METHODS.has(method)) {
    return `${method} is not allowed through cutroom browser-server (it acts on the server's machine)`;
  }
  return refuseParams(params, 0);
}

function refuseParams(value: unknown, depth: number): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  if (depth > 32) return 'parameters nested too deeply';
  for (const [key, inner] of Object.entries(value)) {
    if (DENIED_PARAMS.has(key) && inner !== undefined && inner !== null) {
      return `the ${key} option is not allowed through cutroom browser-server (it names the server's files or network)`;
    }
    if (URL_PARAMS.has(key) && typeof inner === 'string' && !isWebUrl(inner)) {
      return `${inner.split(':')[0]}: URLs are not allowed through cutroom browser-server: only http(s), ws(s), data: and blob:`;
    }
    const refusal = refuseParams(inner, depth + 1);
    if (refusal) return refusal;
  }
  return undefined;
}

function isWebUrl(url: string): boolean {
  if (BLANK_PAGES.has(url)) return true;
  try {
    return WEB_SCHEMES.has(new URL(url).protocol);
  } catch {
    // Relative URLs (against a page's own base) stay on the page's scheme.
    return !/^[a-z][a-z0-9+.-]*:/i.test(url);
  }
}
