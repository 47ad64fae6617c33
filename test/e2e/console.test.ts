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

let server: ServerProcess;
let browser: Browser;
let targets: SeededEvent[];
let queryPhoto: Buffer;

beforeAll(async () => {
  server = await startServerProcess({ MAX_CONCURRENT_SEARCHES: String(SEARCH_SLOTS) });
  const now = Date.now();
  // Newest first: three sightings, the crowd (more than one call can scan), three older sightings.
  const seeded = await seedPeople(server.url, {
    targetTimes: [1, 2, 3, 12, 14, 16].map((h) => now - h * HOUR),
    otherTimes: [1.5, 2.5, 3.5, 13, 15].map((h) => now - h * HOUR),
  });
  targets = seeded.targets;
  await seedCrowdOutOfProcess(server.endpoints.dynamodb, {
    count: 51_000,
    newestMs: now - 4 * HOUR,
    oldestMs: now - 10 * HOUR,
  });
  // Her face again, framed unlike any stored sighting.
  queryPhoto = await faceCrop(PEOPLE.target, { margin: 1.9, size: 420 });
  browser = await launchBrowser();
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

async function openConsole(viewport = DESKTOP): Promise<{ page: Page; pageErrors: string[] }> {
  const opened = await openPage(browser, viewport, TIME_ZONE);
  await opened.page.goto(server.url);
  return opened;
}

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
    await screenshot(page, 'desktop-first-page');

    await pressAndWait(page, 'Load more');
    cards = await resultCards(page);
    expect(cards.map((c) => c.datetime)).toEqual(expected.map((t) => new Date(t.timestampMs).toISOString()));
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

  it('outlines the searched face and states its quality as the service measured it', async () => {
    const { page } = await openConsole();
    await choosePhoto(page, queryPhoto, 'ada.jpg');
    await page.getByRole('radio', { name: 'Last hour' }).check();
    await pressAndWait(page, 'Search');
    const api = (await postJson(`${server.url}/sophon/v2/face/searchbyimage`, {
      face_image_base64: queryPhoto.toString('base64'),
    })) as { query_face: { box: number[]; quality: { face_size: number } } };

    const verdict = await page.locator('#photo-verdict').innerText();
    expect(verdict).toContain('passes the "low" quality check');
    expect(verdict).toContain(`face ${Math.round(api.query_face.quality.face_size)} px`);
    const rect = page.locator('#photo-box rect');
    const drawn = ['x', 'y', 'width', 'height'].map(async (a) => Number(await rect.getAttribute(a)));
    const [x, y, w, h] = await Promise.all(drawn);
    const [x1, y1, x2, y2] = api.query_face.box;
    expect([x, y, w, h]).toEqual([x1, y1, x2 - x1, y2 - y1]);
    // Nothing in the last hour: an honest empty result, not an error.
    expect(await status(page)).toMatch(/^0 matches · the whole window was searched/);
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
    await page.getByLabel('Photo quality required').selectOption('high');
    await pressAndWait(page, 'Search');
    const text = await page.getByRole('alert').innerText();
    expect(text).toContain('not good enough for the chosen quality level');
    expect(text).toMatch(/Reason: face size: \d+ px, needs more than 112 px/);
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
      await Promise.all(held.map((l) => l?.release()));
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
