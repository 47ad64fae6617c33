import type { Browser, Page } from 'playwright-core';
import { DESKTOP, launchBrowser, openPage, PHONE, screenshot } from './browser';
import { seedCrowdOutOfProcess } from './crowd';
import { faceCrop, gradientPng, PEOPLE } from './photos';
import { postJson, seedPeople, TARGET_NAME, type SeededEvent } from './seed';
import { startServerProcess, type ServerProcess } from './serverProcess';

/**
 * The search console end to end: a real local server (dynalite, s3rver, the face engine) on a random
 * port, a history seeded through the ingest API, and Chromium driving the page as a person would.
 */

const HOUR = 3_600_000;
const TIME_ZONE = 'Asia/Shanghai';
/** Two slots, so the "another search running" test can fill them all the way another instance would. */
const SEARCH_SLOTS = 2;
/** The key of the second server, which wants one as the stack's API-key option does. */
const API_KEY = 'e2e-console-key-7f3a9c';

let server: ServerProcess;
let keyed: ServerProcess;
let keyedTargets: SeededEvent[];
let browser: Browser;
let targets: SeededEvent[];
let queryPhoto: Buffer;

beforeAll(async () => {
  // The keyed server starts and is seeded while the main one is: the suite waits for the slower only.
  const keyedReady = (async () => {
    keyed = await startServerProcess({ LOCAL_API_KEY: API_KEY });
    const seeded = await seedPeople(
      keyed.url,
      { targetTimes: [1, 2].map((h) => Date.now() - h * HOUR), otherTimes: [] },
      { 'x-api-key': API_KEY },
    );
    keyedTargets = seeded.targets;
  })();
  const launched = launchBrowser();
  // A longer time budget than the default 10 s: the first search must stop at the 50,000-record cap, and on
  // a loaded machine the budget came first (28,659 records in 10.45 s).
  server = await startServerProcess({
    MAX_CONCURRENT_SEARCHES: String(SEARCH_SLOTS),
    SEARCH_BUDGET_MS: '30000',
  });
  const now = Date.now();
  // Newest first: three sightings, the crowd (more than one call can scan), three older sightings. The
  // people go through ingest (the face engine) while the crowd is written to the store.
  const [seeded] = await Promise.all([
    seedPeople(server.url, {
      targetTimes: [1, 2, 3, 12, 14, 16].map((h) => now - h * HOUR),
      otherTimes: [1.5, 2.5, 3.5, 13, 15].map((h) => now - h * HOUR),
    }),
    seedCrowdOutOfProcess(server.endpoints.dynamodb, {
      count: 51_000,
      newestMs: now - 4 * HOUR,
      oldestMs: now - 10 * HOUR,
    }),
  ]);
  targets = seeded.targets;
  // Her face again, framed unlike any stored sighting.
  queryPhoto = await faceCrop(PEOPLE.target, { margin: 1.9, size: 420 });
  browser = await launched;
  await keyedReady;
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await Promise.all([server?.close(), keyed?.close()]);
});

async function openConsole(
  viewport = DESKTOP,
  url = server.url,
): Promise<{ page: Page; pageErrors: string[] }> {
  const opened = await openPage(browser, viewport, TIME_ZONE);
  await opened.page.goto(url);
  return opened;
}

/** The face box drawn over the search photo, as [x, y, width, height] in the photo's pixels. */
async function drawnBox(page: Page): Promise<number[]> {
  const rect = page.locator('#photo-box rect');
  return Promise.all(['x', 'y', 'width', 'height'].map(async (a) => Number(await rect.getAttribute(a))));
}

const asDrawn = ([x1, y1, x2, y2]: number[]) => [x1, y1, x2 - x1, y2 - y1];
const verdict = (page: Page) => page.locator('#photo-verdict');

async function choosePhoto(page: Page, buffer: Buffer, name: string, mimeType = 'image/jpeg'): Promise<void> {
  await page.getByLabel('Choose a photo…').setInputFiles({ name, mimeType, buffer });
  await page
    .locator('#photo-image')
    .and(page.getByAltText(`Search photo: ${name}`))
    .waitFor();
}

/** Presses a button and waits until the results area is no longer busy. */
async function pressAndWait(page: Page, name: string): Promise<void> {
  await page.getByRole('button', { name, exact: true }).click();
  await page.waitForFunction(() => document.getElementById('results')?.getAttribute('aria-busy') === 'false');
}

/** What the result cards show, in page order. */
async function resultCards(page: Page) {
  return page.locator('#result-grid .result-card').evaluateAll((cards) =>
    cards.map((c) => ({
      identity: c.querySelector('.identity')?.textContent ?? '',
      score: Number(c.querySelector('.score')?.textContent),
      datetime: c.querySelector('time')?.getAttribute('datetime') ?? '',
      timeText: c.querySelector('time')?.textContent ?? '',
      device: c.querySelector('.device')?.textContent ?? '',
      userType: c.querySelector('.user-type')?.textContent ?? '',
      cropLoaded: (c.querySelector('img.crop') as HTMLImageElement | null)?.naturalWidth ?? 0,
    })),
  );
}

const status = (page: Page) => page.locator('#status').innerText();

/** "14:05:09" in the page's time zone: how a person there reads the event's time. */
function localClock(ms: number): string {
  return new Intl.DateTimeFormat('en-GB', {
    timeZone: TIME_ZONE,
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
  }).format(new Date(ms));
}

/** A datetime-local value ("2026-11-25T01:54:34") for `ms` in the page's time zone. */
function localInput(ms: number): string {
  const f = new Intl.DateTimeFormat('sv-SE', {
    timeZone: TIME_ZONE,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  });
  return f.format(new Date(ms)).replace(' ', 'T');
}

const byNewest = (a: SeededEvent, b: SeededEvent) => b.timestampMs - a.timestampMs;

describe('search console', () => {
  it('finds the person in the last 24 hours, newest first, then loads more up to the end of the window', async () => {
    const { page, pageErrors } = await openConsole();
    await screenshot(page, 'desktop-empty');
    await choosePhoto(page, queryPhoto, 'ada.jpg');
    await pressAndWait(page, 'Search');

    // The first call stops at the 50,000-record cap inside the crowd: only the three newer sightings.
    const expected = [...targets].sort(byNewest);
    let cards = await resultCards(page);
    expect(cards.map((c) => c.datetime)).toEqual(
      expected.slice(0, 3).map((t) => new Date(t.timestampMs).toISOString()),
    );
    expect(await status(page)).toMatch(/3 matches · searched back to .* · 50,000 records checked/);
    const progress = Number(await page.locator('#progress').getAttribute('value'));
    expect(progress).toBeGreaterThan(0.2);
    expect(progress).toBeLessThan(1);
    // The timeline holds what the grid holds, and fills in as pages arrive.
    expect(await page.locator('#timeline .mark').count()).toBe(3);
    await screenshot(page, 'desktop-first-page');

    await pressAndWait(page, 'Load more');
    cards = await resultCards(page);
    expect(cards.map((c) => c.datetime)).toEqual(expected.map((t) => new Date(t.timestampMs).toISOString()));
    expect(
      await page
        .locator('#timeline .mark')
        .evaluateAll((marks) =>
          marks.map((m) => Number((m as HTMLElement).dataset.time)).sort((a, b) => b - a),
        ),
    ).toEqual(expected.map((t) => t.timestampMs));
    for (const [i, card] of cards.entries()) {
      expect(card.identity).toBe(TARGET_NAME);
      expect(card.score).toBeGreaterThanOrEqual(82);
      expect(card.score).toBeLessThanOrEqual(100);
      expect(card.device).toBe(expected[i].deviceName);
      expect(card.userType.toLowerCase()).toBe(expected[i].userType);
      expect(card.timeText).toContain(localClock(expected[i].timestampMs));
      expect(card.timeText).toContain('GMT+8');
    }
    await page.waitForFunction(() =>
      [...document.querySelectorAll<HTMLImageElement>('#result-grid img.crop')].every(
        (img) => img.naturalWidth > 0,
      ),
    );
    expect(await status(page)).toMatch(/^6 matches · the whole window was searched/);
    await expect(page.getByRole('button', { name: 'Load more' }).isVisible()).resolves.toBe(false);
    expect(Number(await page.locator('#progress').getAttribute('value'))).toBe(1);
    await screenshot(page, 'desktop-results', true);
    expect(pageErrors).toEqual([]);
  });

  it('outlines the face and states its quality on upload, before any search, as the service measured it', async () => {
    const { page, pageErrors } = await openConsole();
    const searches: string[] = [];
    page.on('request', (r) => {
      if (r.url().includes('/searchbyimage')) searches.push(r.url());
    });
    await choosePhoto(page, queryPhoto, 'ada.jpg');
    // No Search pressed: the box and the verdict come from POST /sophon/v2/face/detect alone.
    await page.locator('#photo-box rect').waitFor();
    const detected = (await postJson(`${server.url}/sophon/v2/face/detect`, {
      face_image_base64: queryPhoto.toString('base64'),
    })) as { query_face: { box: number[]; quality: { face_size: number } } };
    expect(await drawnBox(page)).toEqual(asDrawn(detected.query_face.box));
    const onUpload = await verdict(page).innerText();
    expect(onUpload).toContain('passes the "low" quality check');
    expect(onUpload).toContain(`face ${Math.round(detected.query_face.quality.face_size)} px`);
    expect(searches).toEqual([]);
    await screenshot(page, 'desktop-detected');

    await page.getByRole('radio', { name: 'Last hour' }).check();
    await pressAndWait(page, 'Search');
    const api = (await postJson(`${server.url}/sophon/v2/face/searchbyimage`, {
      face_image_base64: queryPhoto.toString('base64'),
    })) as { query_face: { box: number[]; quality: { face_size: number } } };
    // The search measured the same face in the same place.
    expect(api.query_face.box).toEqual(detected.query_face.box);
    expect(await drawnBox(page)).toEqual(asDrawn(api.query_face.box));
    expect(await verdict(page).innerText()).toContain('passes the "low" quality check');
    // Nothing in the last hour: an honest empty result, not an error.
    expect(await status(page)).toMatch(/^0 matches · the whole window was searched/);
    expect(pageErrors).toEqual([]);
  });

  it('still searches where the service has no detect endpoint (an older version), outlining the face after Search', async () => {
    const { page, pageErrors } = await openConsole();
    // What an older local server answers for a route it does not have.
    let asked = 0;
    await page.route('**/sophon/v2/face/detect', (route) => {
      asked++;
      return route.fulfill({
        status: 404,
        contentType: 'application/json',
        body: JSON.stringify({ error: { code: 'NOT_FOUND', message: '' } }),
      });
    });
    await choosePhoto(page, queryPhoto, 'ada.jpg');
    await page.waitForFunction(
      () =>
        document.getElementById('photo-verdict')?.textContent === 'The face will be checked when you search.',
    );
    expect(await page.locator('#photo-box rect').count()).toBe(0);
    // Once told there is no such endpoint, the page stops asking.
    await page.getByLabel('Photo quality required').selectOption('middle');
    await page.getByLabel('Photo quality required').selectOption('low');
    expect(asked).toBe(1);
    await page.getByRole('radio', { name: 'Last hour' }).check();
    await pressAndWait(page, 'Search');
    expect(await page.locator('#photo-box rect').count()).toBe(1);
    expect(await verdict(page).innerText()).toContain('passes the "low" quality check');
    expect(await page.getByRole('alert').isVisible()).toBe(false);
    expect(pageErrors).toEqual([]);
  });

  it('opens the scene of a result with the face outlined, and returns to the card on Escape', async () => {
    const { page, pageErrors } = await openConsole();
    await choosePhoto(page, queryPhoto, 'ada.jpg');
    await page.getByLabel('Devices').fill('gate-1');
    await pressAndWait(page, 'Search');

    const onGate = targets.filter((t) => t.deviceId === 'gate-1').sort(byNewest);
    const cards = await resultCards(page);
    expect(cards.map((c) => c.datetime)).toEqual(onGate.map((t) => new Date(t.timestampMs).toISOString()));
    expect(cards.every((c) => c.device === 'Main gate')).toBe(true);

    const first = page.locator('#result-grid .result-card').first();
    await first.focus();
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    await page.waitForFunction(
      () => (document.getElementById('scene-image') as HTMLImageElement).naturalWidth > 0,
    );
    expect(await dialog.getByRole('heading').innerText()).toContain(TARGET_NAME);
    expect(await dialog.innerText()).toContain('gate-1');
    // The box is where ingest found the face in that scene photo: inside the image, not empty.
    const box = await page.evaluate(() => {
      const img = document.getElementById('scene-image') as HTMLImageElement;
      const r = document.querySelector('#scene-box rect');
      const n = (a: string) => Number(r?.getAttribute(a));
      return {
        x: n('x'),
        y: n('y'),
        w: n('width'),
        h: n('height'),
        iw: img.naturalWidth,
        ih: img.naturalHeight,
      };
    });
    expect(box.w).toBeGreaterThan(box.iw / 4);
    expect(box.h).toBeGreaterThan(box.ih / 4);
    expect(box.x + box.w).toBeLessThanOrEqual(box.iw + 1);
    expect(box.y + box.h).toBeLessThanOrEqual(box.ih + 1);
    await screenshot(page, 'desktop-scene');

    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    expect(await first.evaluate((el) => el === document.activeElement)).toBe(true);
    expect(pageErrors).toEqual([]);
  });

  it('says in plain words that a photo has no face', async () => {
    const { page, pageErrors } = await openConsole();
    await choosePhoto(page, await gradientPng(), 'wall.png', 'image/png');
    // Said on upload already, before anyone presses Search.
    await page.waitForFunction(() =>
      document.getElementById('photo-verdict')?.textContent?.includes('No face found'),
    );
    await pressAndWait(page, 'Search');
    const alert = page.getByRole('alert');
    expect(await alert.innerText()).toContain('No face found in this photo.');
    expect(await alert.getAttribute('data-code')).toBe('NO_FACE_ERROR');
    expect(await page.locator('#photo-verdict').innerText()).toContain('No face found');
    expect(await page.locator('#result-grid .result-card').count()).toBe(0);
    expect(await page.locator('body').innerText()).not.toMatch(/NO_FACE_ERROR|Error:|\bat \S+:\d+/);
    await screenshot(page, 'desktop-no-face');
    expect(pageErrors).toEqual([]);
  });

  it('explains a photo of too low quality with the reason the service gave', async () => {
    const { page } = await openConsole();
    // The whole photo is 110 px: the face is well under the 112 px "high" needs.
    await choosePhoto(page, await faceCrop(PEOPLE.target, { margin: 1.8, size: 110 }), 'small.jpg');
    // Choosing a stricter level checks the face again: outlined, and failing, with the reason, before Search.
    await page.getByLabel('Photo quality required').selectOption('high');
    await page.waitForFunction(() =>
      document.getElementById('photo-verdict')?.textContent?.startsWith('Fails the "high" quality check'),
    );
    expect(await verdict(page).innerText()).toMatch(/: face size: \d+ px, needs more than 112 px\./);
    expect(await page.locator('#photo-box rect').count()).toBe(1);
    await pressAndWait(page, 'Search');
    const text = await page.getByRole('alert').innerText();
    expect(text).toContain('not good enough for the chosen quality level');
    expect(text).toMatch(/Reason: face size: \d+ px, needs more than 112 px/);
    // The box stays: the search failed for the reason the upload check gave.
    expect(await page.locator('#photo-box rect').count()).toBe(1);
    await screenshot(page, 'desktop-low-quality');
  });

  it('tells the user when every search slot is taken', async () => {
    const { page } = await openConsole();
    await choosePhoto(page, queryPhoto, 'ada.jpg');
    // Other instances' searches hold every slot of the shared lease table.
    const held = await Promise.all(
      Array.from({ length: SEARCH_SLOTS }, () => server.services.slots.tryAcquire()),
    );
    try {
      expect(held.every(Boolean)).toBe(true);
      await pressAndWait(page, 'Search');
      expect(await page.getByRole('alert').innerText()).toContain('Other searches are running right now.');
    } finally {
      await Promise.all(held.flatMap((l) => (l ? [l.release()] : [])));
    }
    await pressAndWait(page, 'Search');
    expect(await page.getByRole('alert').isVisible()).toBe(false);
    expect(await page.locator('#result-grid .result-card').count()).toBe(3);
  });

  it('shows a long search in progress, stops it, and resumes with Load more', async () => {
    const { page, pageErrors } = await openConsole();
    await choosePhoto(page, queryPhoto, 'ada.jpg');
    // A slow network (the server's answer is real, only later): long enough to press Stop for sure.
    await page.route('**/sophon/v2/face/searchbyimage', async (route) => {
      await new Promise((r) => setTimeout(r, 2_000));
      await route.continue().catch(() => undefined);
    });
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    const stop = page.getByRole('button', { name: 'Stop' });
    await stop.waitFor();
    expect(await status(page)).toMatch(/^Searching… \d+ s/);
    await screenshot(page, 'desktop-searching');
    await stop.click();
    await page.waitForFunction(
      () => document.getElementById('results')?.getAttribute('aria-busy') === 'false',
    );
    expect(await status(page)).toMatch(/^Stopped · 0 matches/);
    expect(await stop.isVisible()).toBe(false);

    await page.unroute('**/sophon/v2/face/searchbyimage');
    await pressAndWait(page, 'Load more');
    expect(await page.locator('#result-grid .result-card').count()).toBe(3);
    expect(pageErrors).toEqual([]);
  });

  it('works on a phone-width screen with a dropped photo, without sideways scrolling', async () => {
    const { page, pageErrors } = await openConsole(PHONE);
    const noSideways = () =>
      page.evaluate(() => document.documentElement.scrollWidth <= document.documentElement.clientWidth);
    expect(await noSideways()).toBe(true);
    await screenshot(page, 'phone-empty', true);

    // Drag and drop, as from a file manager.
    const b64 = queryPhoto.toString('base64');
    await page.evaluate(async (data) => {
      const bytes = Uint8Array.from(atob(data), (ch) => ch.charCodeAt(0));
      const transfer = new DataTransfer();
      transfer.items.add(new File([bytes], 'dropped.jpg', { type: 'image/jpeg' }));
      document
        .getElementById('drop-zone')
        ?.dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
    }, b64);
    await page.getByAltText('Search photo: dropped.jpg').waitFor();
    await page.getByRole('radio', { name: 'Last 7 days' }).check();
    await pressAndWait(page, 'Search');
    expect(await page.locator('#result-grid .result-card').count()).toBe(3);
    await pressAndWait(page, 'Load more');
    expect(await page.locator('#result-grid .result-card').count()).toBe(6);
    expect(await noSideways()).toBe(true);
    await screenshot(page, 'phone-results', true);
    expect(pageErrors).toEqual([]);
  });

  it('takes a pasted photo and searches oldest first', async () => {
    const { page } = await openConsole();
    await page.evaluate(async (data) => {
      const bytes = Uint8Array.from(atob(data), (ch) => ch.charCodeAt(0));
      const transfer = new DataTransfer();
      transfer.items.add(new File([bytes], 'pasted.jpg', { type: 'image/jpeg' }));
      document.dispatchEvent(
        new ClipboardEvent('paste', { clipboardData: transfer, bubbles: true, cancelable: true }),
      );
    }, queryPhoto.toString('base64'));
    await page.getByAltText('Search photo: pasted.jpg').waitFor();
    await page.getByRole('radio', { name: 'Oldest first' }).check();
    await page.getByLabel('Minimum similarity').fill('90');
    await pressAndWait(page, 'Search');
    // Oldest first, the first call's 50,000 records end inside the crowd after the three older sightings.
    const older = [...targets].sort((a, b) => a.timestampMs - b.timestampMs).slice(0, 3);
    const cards = await resultCards(page);
    expect(cards.map((c) => c.datetime)).toEqual(older.map((t) => new Date(t.timestampMs).toISOString()));
    expect(cards.every((c) => c.score >= 90)).toBe(true);
    expect(await status(page)).toMatch(/searched forward to/);
  });

  it('searches a custom window given in local time', async () => {
    const { page } = await openConsole();
    await choosePhoto(page, queryPhoto, 'ada.jpg');
    await page.getByRole('radio', { name: 'Custom' }).check();
    // Around the sighting 12 hours ago only: the crowd and the other sightings are outside.
    const sighting = [...targets].sort(byNewest)[3];
    await page.getByLabel('From', { exact: true }).fill(localInput(sighting.timestampMs - 30 * 60_000));
    await page.getByLabel('To', { exact: true }).fill(localInput(sighting.timestampMs + 30 * 60_000));
    await pressAndWait(page, 'Search');
    const cards = await resultCards(page);
    expect(cards.map((c) => c.datetime)).toEqual([new Date(sighting.timestampMs).toISOString()]);
    expect(await status(page)).toMatch(/^1 match · the whole window was searched/);
  });

  it('reaches every control with the keyboard, and every control is labelled', async () => {
    const { page } = await openConsole();
    await page.getByRole('radio', { name: 'Custom' }).check();
    const reached: { tag: string; name: string }[] = [];
    await page.locator('body').focus();
    for (let i = 0; i < 30; i++) {
      await page.keyboard.press('Tab');
      const focused = await page.evaluate(() => {
        const el = document.activeElement as HTMLElement | null;
        if (!el || el === document.body) return null;
        const labels = (el as HTMLInputElement).labels;
        const name =
          el.getAttribute('aria-label') ??
          (labels && labels.length > 0 ? [...labels].map((l) => l.textContent).join(' ') : el.textContent);
        return {
          tag: `${el.tagName.toLowerCase()}#${el.id || (el as HTMLInputElement).value}`,
          name: (name ?? '').trim(),
        };
      });
      if (!focused || reached.some((r) => r.tag === focused.tag)) continue;
      reached.push(focused);
    }
    const tags = reached.map((r) => r.tag);
    for (const id of [
      'photo-input',
      'starttime',
      'endtime',
      'devices',
      'threshold',
      'fiqa',
      'search-button',
    ]) {
      expect(tags).toContain(reached.find((r) => r.tag.endsWith(`#${id}`))?.tag);
    }
    // One stop per radio group (arrow keys move within it), as the platform does it.
    expect(
      tags.filter((t) => t.startsWith('input#') && /#(1h|24h|7d|custom|newest|oldest)$/.test(t)).length,
    ).toBe(2);
    for (const r of reached) expect(r.name).not.toBe('');
  });
});

describe('search console against an API that wants a key', () => {
  it('asks for the key once, sends it on every call, and shows crops and scenes fetched with it', async () => {
    const { page, pageErrors } = await openConsole(DESKTOP, keyed.url);
    const calls: { path: string; key: string | undefined; accept: string | undefined }[] = [];
    page.on('request', (r) => {
      const path = new URL(r.url()).pathname;
      const headers = r.headers();
      if (path.startsWith('/sophon/'))
        calls.push({ path, key: headers['x-api-key'], accept: headers.accept });
    });
    const field = page.getByLabel('API key', { exact: true }).and(page.locator('input'));
    await field.waitFor();
    // Asked for first, and ready for typing: focus is in the field.
    expect(await field.evaluate((el) => el === document.activeElement)).toBe(true);
    expect(await field.getAttribute('type')).toBe('password');
    await screenshot(page, 'desktop-api-key');

    await page.keyboard.type('not-the-key-000');
    await page.keyboard.press('Enter');
    await page.getByText('This key was not accepted.').waitFor();
    await field.fill(API_KEY);
    await page.keyboard.press('Enter');
    await field.waitFor({ state: 'hidden' });
    expect(await page.getByRole('button', { name: 'Change API key' }).isVisible()).toBe(true);
    // Kept for this tab only.
    expect(await page.evaluate(() => sessionStorage.getItem('sophon.apiKey'))).toBe(API_KEY);
    expect(await page.evaluate(() => localStorage.length + document.cookie.length)).toBe(0);

    // Still kept after a reload of the tab: not asked again.
    await page.reload();
    await page.getByRole('button', { name: 'Change API key' }).waitFor();
    expect(await field.isVisible()).toBe(false);

    await choosePhoto(page, queryPhoto, 'ada.jpg');
    await page.locator('#photo-box rect').waitFor(); // detect, with the key
    await pressAndWait(page, 'Search');
    const cards = await resultCards(page);
    expect(cards.map((c) => c.datetime)).toEqual(
      [...keyedTargets].sort(byNewest).map((t) => new Date(t.timestampMs).toISOString()),
    );
    await page.waitForFunction(() =>
      [...document.querySelectorAll<HTMLImageElement>('#result-grid img.crop')].every(
        (img) => img.naturalWidth > 0 && img.src.startsWith('blob:'),
      ),
    );
    await page.locator('#result-grid .result-card').first().click();
    await page.waitForFunction(() => {
      const img = document.getElementById('scene-image') as HTMLImageElement;
      return img.naturalWidth > 0 && img.src.startsWith('blob:');
    });
    await screenshot(page, 'desktop-api-key-scene');
    await page.keyboard.press('Escape');
    await page.getByRole('dialog').waitFor({ state: 'hidden' });

    const paths = new Set(calls.map((c) => c.path.replace(/[^/]+$/, '*')));
    expect(paths).toEqual(
      new Set([
        '/sophon/v2/face/*', // searchbyimage (the key check and the search) and detect
        '/sophon/v2/face/images/*',
      ]),
    );
    expect(calls.filter((c) => c.path.endsWith('/detect')).length).toBeGreaterThan(0);
    // Images are asked for as images: API Gateway sends binary only when the first Accept type is one.
    const images = calls.filter((c) => c.path.includes('/images/'));
    expect(images.length).toBe(keyedTargets.length + 1); // every crop, and the scene
    expect(images.every((c) => c.accept === 'image/*')).toBe(true);
    // The wrong key was tried once, by the key check; after that, every call carried the right key.
    const firstRight = calls.findIndex((c) => c.key === API_KEY);
    expect(calls.slice(0, firstRight).map((c) => c.key)).toEqual(['not-the-key-000']);
    expect(calls.slice(firstRight).every((c) => c.key === API_KEY)).toBe(true);

    // The key is rotated away while the page is open: the next call is refused, and the page says so and
    // asks again.
    await page.evaluate(() => sessionStorage.setItem('sophon.apiKey', 'rotated-away-key'));
    await pressAndWait(page, 'Search');
    expect(await page.locator('#error').innerText()).toContain('The API key was not accepted.');
    await field.waitFor();
    expect(await page.locator('#key-problem').innerText()).toBe('This key was not accepted. Enter it again.');
    expect(await page.evaluate(() => sessionStorage.getItem('sophon.apiKey'))).toBeNull();
    await field.fill(API_KEY);
    await page.keyboard.press('Enter');
    await field.waitFor({ state: 'hidden' });
    expect(await page.locator('#error').isVisible()).toBe(false);
    expect(pageErrors).toEqual([]);
  });
});
