// The status page in a real browser: Debian's chromium, driven by playwright-core, against
// the quickstart example with a private redis-server of its own (frozen with SIGSTOP to
// make the Redis check fail), then scanned by axe-core.
//
//   QUICKSTART=target/debug/examples/quickstart HEALTH_TOKEN=... node status_page.mjs
//
// Environment: QUICKSTART (the example binary, required), HEALTH_TOKEN (the token the
// quickstart is started with, required), HOSTILE_URL (a page whose check errors carry
// markup, optional), SCREENSHOT (where to write the screenshot, optional), CHROMIUM
// (default /usr/bin/chromium). `examples/tests/status_page.rs` runs it under
// `cargo test`. Exits non-zero on the first failed expectation; prints nothing secret.

import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);
const CHECKS = ['cache_warm', 'embedding_model', 'redis', 'scratch_dir'];
const FLAGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run',
];
const started = Date.now();
const children = [];

function log(message) {
  console.log(`[${((Date.now() - started) / 1000).toFixed(1)} s] ${message}`);
}

function expect(condition, message) {
  if (!condition) throw new Error(`expectation failed: ${message}`);
}

function env(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} must be set`);
  return value;
}

async function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function accepts(port) {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('error', () => resolve(false));
  });
}

async function until(what, limitMs, probe) {
  const deadline = Date.now() + limitMs;
  while (Date.now() < deadline) {
    if (await probe()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${what} within ${limitMs} ms`);
}

function start(program, args, extraEnv = {}) {
  const childEnv = { ...process.env, ...extraEnv };
  delete childEnv.DATABASE_URL;
  const child = spawn(program, args, {
    env: childEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  child.output = '';
  child.stdout.on('data', (data) => { child.output += data; });
  child.stderr.on('data', (data) => { child.output += data; });
  return child;
}

function stopAll() {
  for (const child of children) {
    if (child.exitCode === null) {
      try { process.kill(child.pid, 'SIGCONT'); } catch {}
      child.kill('SIGKILL');
    }
  }
}

/** Collects what a page must not do: log a console error, or ask another origin. */
function watch(page, origin, name) {
  const seen = { errors: [], external: [], navigations: 0 };
  page.on('console', (message) => {
    if (message.type() === 'error') seen.errors.push(`${name}: ${message.text()}`);
  });
  page.on('pageerror', (error) => seen.errors.push(`${name}: ${error.message}`));
  page.on('request', (request) => {
    const url = request.url();
    if (!url.startsWith(origin) && !url.startsWith('data:')) seen.external.push(url);
  });
  page.on('framenavigated', (frame) => {
    if (frame === page.mainFrame()) seen.navigations += 1;
  });
  return seen;
}

async function checkNamesIn(page) {
  const text = await page.content();
  return CHECKS.filter((check) => text.includes(check));
}

async function axe(context, url, label) {
  const page = await context.newPage();
  await page.goto(url);
  await page.addScriptTag({ content: readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8') });
  const results = await page.evaluate(() =>
    // eslint-disable-next-line no-undef
    axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] } }));
  const serious = results.violations.filter((v) => ['serious', 'critical'].includes(v.impact));
  for (const violation of results.violations) {
    log(`axe (${label}): ${violation.impact}: ${violation.id}: ${violation.help} (${violation.nodes.length} nodes)`);
  }
  expect(serious.length === 0, `axe found serious violations on the ${label} page: ${serious.map((v) => v.id).join(', ')}`);
  log(`axe (${label}): ${results.passes.length} rules passed, no serious violation`);
  await page.close();
}

async function keyboard(page) {
  // Tab from the top reaches the skip link, and following it lands in the status.
  await page.keyboard.press('Tab');
  const first = await page.evaluate(() => document.activeElement && document.activeElement.className);
  expect(first === 'skip', `the first Tab stop is the skip link, not "${first}"`);
  await page.keyboard.press('Enter');
  expect(page.url().endsWith('#main'), 'the skip link leads to the status');
}

async function main() {
  const quickstart = env('QUICKSTART');
  const token = env('HEALTH_TOKEN');

  // A private redis-server, and the quickstart checking it.
  const redisPort = await freePort();
  const redis = start('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1',
    '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--protected-mode', 'no']);
  await until('redis-server accepting connections', 10000, () => accepts(redisPort));
  const port = await freePort();
  const service = start(quickstart, [], {
    PORT: String(port),
    REDIS_URL: `redis://127.0.0.1:${redisPort}`,
    MODEL_LOAD_MS: '300',
    HEALTH_TOKEN: token,
  });
  await until('the quickstart printing its page', 30000, async () => /status page: /.test(service.output));
  const url = service.output.match(/status page: (\S+)/)[1];
  const origin = new URL(url).origin;
  await until('the quickstart accepting connections', 10000, () => accepts(port));
  log(`quickstart and redis-server up; page at ${url}`);

  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: FLAGS,
  });
  log(`chromium ${browser.version()} launched`);
  try {
    // 1. Without the token: the probes' states, no check name, a form for the token.
    const locked = await browser.newContext();
    const lockedPage = await locked.newPage();
    const lockedSeen = watch(lockedPage, origin, 'locked');
    const first = await lockedPage.goto(url);
    expect(first.status() === 200, `the locked page answers 200, not ${first.status()}`);
    const csp = first.headers()['content-security-policy'] || '';
    expect(csp.startsWith("default-src 'none'"), `a strict CSP: ${csp}`);
    expect((await checkNamesIn(lockedPage)).length === 0, 'the locked page names no check');
    await lockedPage.waitForTimeout(1200); // a few live refreshes
    expect((await checkNamesIn(lockedPage)).length === 0, 'the live refreshes name no check either');
    expect(await lockedPage.isVisible('#token'), 'the locked page offers a token form');

    // 2. A wrong token: 401, still no check name.
    const wrong = await locked.newPage();
    const refused = await wrong.goto(`${url}?token=not-the-token`);
    expect(refused.status() === 401, `a wrong token gets 401, not ${refused.status()}`);
    expect((await checkNamesIn(wrong)).length === 0, 'a wrong token sees no check name');
    expect((await wrong.textContent('body')).includes('That token is not valid'), 'a wrong token is told so');
    await wrong.close();
    log('locked page and wrong token: no check name');

    // 3. The token through the form: a session cookie, the address without the token.
    await lockedPage.fill('#token', token);
    await Promise.all([lockedPage.waitForURL(url), lockedPage.click('button[type=submit]')]);
    await lockedPage.waitForSelector('tr[data-check="redis"]');
    expect(!lockedPage.url().includes('token'), 'no token in the address after the form');
    const cookies = await locked.cookies();
    expect(cookies.length === 1 && cookies[0].httpOnly && cookies[0].sameSite === 'Strict',
      `one HttpOnly SameSite=Strict cookie: ${JSON.stringify(cookies.map((c) => [c.name, c.httpOnly, c.sameSite]))}`);
    expect(!cookies[0].value.includes(token), 'the cookie does not hold the token');
    log('token form: checks shown, HttpOnly SameSite=Strict session');

    // 4. The token in a link: exchanged and stripped by a redirect.
    const linked = await browser.newContext();
    const page = await linked.newPage();
    const seen = watch(page, origin, 'live');
    const viaLink = await page.goto(`${url}?token=${encodeURIComponent(token)}`);
    expect(viaLink.status() === 200 && page.url() === url, `redirected to the page without the token: ${page.url()}`);
    await page.waitForSelector('tr[data-check="redis"][data-status="healthy"]', { timeout: 10000 });
    expect((await checkNamesIn(page)).length === CHECKS.length, 'every check is shown with the token');
    await keyboard(page);
    log('token link: redirected without the token; every check healthy');

    // 5. Redis frozen: the open page turns red within 2 s, without a reload, with the error.
    await page.evaluate(() => { window.stillThisPage = true; });
    const navigations = seen.navigations;
    process.kill(redis.pid, 'SIGSTOP');
    const frozenAt = Date.now();
    await page.waitForSelector('tr[data-check="redis"][data-status="unhealthy"]', { timeout: 2000 });
    const turnedRed = Date.now() - frozenAt;
    const row = await page.textContent('tr[data-check="redis"]');
    expect(row.includes('Timeout after 1000ms'), `the row shows the error: ${row}`);
    expect(row.includes('unhealthy'), 'the status is written, not only coloured');
    expect(await page.evaluate(() => window.stillThisPage === true) && seen.navigations === navigations,
      'the page was not reloaded');
    const readiness = await page.getAttribute('dl.states', 'data-readiness');
    expect(readiness === 'not_ready', `readiness shown not_ready, not ${readiness}`);
    log(`redis frozen: red on the open page after ${turnedRed} ms, with "Timeout after 1000ms"`);
    if (process.env.SCREENSHOT) {
      await page.waitForTimeout(600); // the sparkline's spike drawn
      await page.setViewportSize({ width: 1200, height: 760 });
      await page.screenshot({ path: process.env.SCREENSHOT, fullPage: true });
      log(`screenshot written to ${process.env.SCREENSHOT}`);
    }

    // 6. Redis back: healthy again, and the failure stays on the timeline and in the transitions.
    process.kill(redis.pid, 'SIGCONT');
    const thawedAt = Date.now();
    await page.waitForSelector('tr[data-check="redis"][data-status="healthy"]', { timeout: 5000 });
    log(`redis thawed: healthy again after ${Date.now() - thawedAt} ms`);
    await page.waitForTimeout(1500); // a few healthy results after the failure
    const red = await page.locator('tr[data-check="redis"] rect.t-unhealthy').count();
    const green = await page.locator('tr[data-check="redis"] rect.t-healthy').count();
    expect(red >= 1 && green >= 2, `the timeline shows the failure and the recovery (${red} red, ${green} green)`);
    const down = await page.locator('li[data-transition="redis"][data-to="unhealthy"]').count();
    const up = await page.locator('li[data-transition="redis"][data-to="healthy"]').count();
    expect(down >= 1 && up >= 2, `the transitions list the failure and the recovery (${down} down, ${up} up)`);
    const transition = await page.textContent('li[data-transition="redis"][data-to="unhealthy"]');
    expect(transition.includes('Timeout after 1000ms'), `the transition carries its error: ${transition}`);

    // 7. JavaScript off: the server-rendered first paint shows everything.
    const noScript = await browser.newContext({
      javaScriptEnabled: false,
      extraHTTPHeaders: { Authorization: `Bearer ${token}` },
    });
    const still = await noScript.newPage();
    await still.goto(url);
    expect(await still.locator('tr[data-check]').count() === CHECKS.length, 'all checks without JavaScript');
    await noScript.close();
    log('without JavaScript: every check rendered by the server');

    // 8. Markup in an error is shown as text and never runs, even with the CSP bypassed.
    if (process.env.HOSTILE_URL) {
      const bypass = await browser.newContext({ bypassCSP: true });
      const hostile = await bypass.newPage();
      const hostileSeen = watch(hostile, new URL(process.env.HOSTILE_URL).origin, 'hostile');
      await hostile.goto(process.env.HOSTILE_URL);
      await hostile.waitForTimeout(1200); // the live fragment swapped in at least once
      const title = await hostile.title();
      const injected = await hostile.locator('main img, main script, main iframe').count();
      const shown = await hostile.textContent('tr[data-check="hostile"]');
      expect(!title.includes('pwned') && injected === 0, `markup in an error did not run (title "${title}", ${injected} elements)`);
      expect(shown.includes('<img src=x'), `the error is shown as text: ${shown}`);
      expect(hostileSeen.errors.length === 0, `no console error on the hostile page: ${hostileSeen.errors}`);
      await bypass.close();
      log('markup in an error: shown as text, never run');
    }

    // 9. Accessibility: axe-core on the full and the locked page (its script injected, so
    //    with the CSP bypassed in a context of its own).
    const scan = await browser.newContext({ bypassCSP: true, extraHTTPHeaders: { Authorization: `Bearer ${token}` } });
    await axe(scan, url, 'full');
    await scan.close();
    const scanLocked = await browser.newContext({ bypassCSP: true });
    await axe(scanLocked, url, 'locked');
    await scanLocked.close();

    const errors = [...lockedSeen.errors, ...seen.errors];
    const external = [...lockedSeen.external, ...seen.external];
    expect(errors.length === 0, `no console error: ${errors.join('; ')}`);
    expect(external.length === 0, `no request to another origin: ${external.join(', ')}`);
    log('no console error, no request to another origin');
  } finally {
    await browser.close();
  }
}

try {
  await main();
  log('status page: every expectation met');
  stopAll();
} catch (error) {
  console.error(`FAILED: ${error.message}`);
  for (const child of children) {
    const tail = child.output.split('\n').slice(-15).join('\n');
    console.error(`--- last output of ${child.spawnfile}:\n${tail}`);
  }
  stopAll();
  process.exit(1);
}
