import { readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { DESKTOP, openPage, PHONE, screenshot } from './browser';
import { consoleSuite, imagelessEvent } from './fixture';
import { faceCrop, gradientPng, PEOPLE } from './photos';
import { DEVICES, postJson, seedPeople, TARGET_NAME, type SeededEvent } from './seed';

/**
 * The console's incident work end to end (issue 15, points 4 to 7): search again from a result, several
 * photos of one person, the timeline, the CSV and the printed report, and the fixes found by trying it.
 * A small history (no crowd) keeps this suite quick: one real local server, one Chromium.
 */

const HOUR = 3_600_000;
const TIME_ZONE = 'Asia/Shanghai';
/** A camera name a spreadsheet would run as a formula if the CSV let it. */
const FORMULA_CAMERA = '=HYPERLINK("http://attacker.example","x")';

let targets: SeededEvent[];
let queryPhoto: Buffer;
/** The synthetic twin: her stored face, no images (as `npm run seed -- --synthetic` writes events). */
const TWIN_ID = 'synthetic-twin-1';

const suite = consoleSuite({
  seed: async (server) => {
    const now = Date.now();
    const seeded = await seedPeople(server.url, {
      targetTimes: [1, 2, 3, 5].map((h) => now - h * HOUR),
      otherTimes: [1.5, 2.5].map((h) => now - h * HOUR),
    });
    targets = seeded.targets;
    // One sighting on a camera whose name is a formula, to prove the CSV keeps it text.
    const formulaAt = now - 6 * HOUR;
    await postJson(`${server.url}/sophon/v2/face/events`, {
      events: [
        {
          event_id: 'formula-cam-1',
          face_image_base64: (await faceCrop(PEOPLE.target, { margin: 1.7, size: 320 })).toString('base64'),
          timestamp: formulaAt,
          identity_name: TARGET_NAME,
          user_type: 'visitor',
          media_device_info: {
            ...DEVICES[0],
            media_device_id: 'cam-formula',
            media_device_name: FORMULA_CAMERA,
          },
        },
      ],
    });
    targets.push({
      eventId: 'formula-cam-1',
      identityName: TARGET_NAME,
      timestampMs: formulaAt,
      deviceId: 'cam-formula',
      deviceName: FORMULA_CAMERA,
      userType: 'visitor',
    });
    // Her stored embedding, copied into an event without images, written to the store as the synthetic
    // seeder does (no photo exists for it).
    const events = server.services.events;
    const pointer = await events.find(targets[0].eventId);
    const code = pointer && (await events.embeddingOf(pointer));
    if (!code) throw new Error('seeded target not found in the store');
    await events.putMany([imagelessEvent(TWIN_ID, now - 4 * HOUR, DEVICES[2], code)], { pointers: true });
    queryPhoto = await faceCrop(PEOPLE.target, { margin: 1.9, size: 420 });
  },
});

interface ApiEvent {
  event_id: string;
  timestamp: number;
  compare_score: number;
  identity_name: string;
  recognize_face_image_id: string;
  spot_image_id: string;
  media_device_info: { media_device_id: string; media_device_name: string };
}

async function openConsole(viewport = DESKTOP): Promise<{ page: Page; pageErrors: string[] }> {
  const opened = await openPage(suite.browser, viewport, TIME_ZONE);
  await opened.page.goto(suite.server.url);
  return opened;
}

async function choosePhotos(page: Page, files: { name: string; buffer: Buffer; mimeType?: string }[]) {
  await page
    .getByLabel('Choose a photo…')
    .setInputFiles(files.map((f) => ({ mimeType: 'image/jpeg', ...f })));
}

async function pressAndWait(page: Page, name: string): Promise<void> {
  await page.getByRole('button', { name, exact: true }).click();
  await waitIdle(page);
}

async function waitIdle(page: Page): Promise<void> {
  await page.waitForFunction(
    () =>
      document.getElementById('results')?.getAttribute('aria-busy') === 'false' &&
      (!document.getElementById('progress-area')?.hidden || !document.getElementById('error')?.hidden),
  );
}

/** Every search request the page makes, as sent. */
function recordSearches(page: Page): Record<string, unknown>[] {
  const bodies: Record<string, unknown>[] = [];
  page.on('request', (r) => {
    if (r.url().endsWith('/sophon/v2/face/searchbyimage') && r.method() === 'POST') {
      bodies.push(JSON.parse(r.postData() ?? '{}') as Record<string, unknown>);
    }
  });
  return bodies;
}

/** The search the page made, asked of the API directly: what the page must show. */
async function apiSearch(body: Record<string, unknown>): Promise<ApiEvent[]> {
  const { last_end_timestamp: _ignored, ...rest } = body;
  const res = (await postJson(`${suite.server.url}/sophon/v2/face/searchbyimage`, rest)) as {
    events: ApiEvent[];
    have_more: boolean;
  };
  expect(res.have_more).toBe(false);
  return res.events;
}

const cardIds = (page: Page) =>
  page
    .locator('#result-grid .result-card time')
    .evaluateAll((els) => els.map((e) => e.getAttribute('datetime') ?? ''));
const isoOf = (e: ApiEvent) => new Date(Math.round(e.timestamp * 1000)).toISOString();

/** A CSV file's rows (RFC 4180 quoting), the header first. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\n') {
      row.push(cell.replace(/\r$/, ''));
      rows.push(row);
      row = [];
      cell = '';
    } else cell += c;
  }
  if (cell || row.length) rows.push([...row, cell]);
  return rows;
}

describe('incident work in the console', () => {
  it('searches again from a result and from the scene view, with the event id and no photo', async () => {
    const { page, pageErrors } = await openConsole();
    const sent = recordSearches(page);
    await choosePhotos(page, [{ name: 'ada.jpg', buffer: queryPhoto }]);
    await pressAndWait(page, 'Search');
    const byPhoto = await apiSearch(sent[0]);
    expect(await cardIds(page)).toEqual(byPhoto.map(isoOf));
    // The twin (no images) is among them, shown with a labelled placeholder rather than a broken image.
    const twinIndex = byPhoto.findIndex((e) => e.event_id === TWIN_ID);
    expect(twinIndex).toBeGreaterThanOrEqual(0);
    const twinCard = page.locator('#result-grid .result').nth(twinIndex);
    expect(await twinCard.getByRole('img', { name: 'No face image stored for this event' }).isVisible()).toBe(
      true,
    );
    expect(await twinCard.locator('img').count()).toBe(0);
    await screenshot(page, 'incident-results');

    // "Search with this face" on the second card: the request carries its event id and nothing else.
    const second = byPhoto[1];
    await page
      .locator('#result-grid .result')
      .nth(1)
      .getByRole('button', { name: /^Search with this face/ })
      .click();
    await waitIdle(page);
    const fromCard = sent[sent.length - 1];
    expect(fromCard.event_id).toBe(second.event_id);
    expect(fromCard).not.toHaveProperty('face_image_base64');
    const byEvent = await apiSearch(fromCard);
    expect(await cardIds(page)).toEqual(byEvent.map(isoOf));
    // The event itself is found, at a score of about 100.
    expect(byEvent.find((e) => e.event_id === second.event_id)?.compare_score).toBeGreaterThan(99);
    expect(await page.locator('#photo-verdict').innerText()).toContain('stored face');
    expect(await page.locator('#photo-image').getAttribute('alt')).toContain(TARGET_NAME);

    // From the scene view: open the third card, press the dialog's "Search with this face".
    await page.locator('#result-grid .result-card').nth(2).click();
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    await dialog.getByRole('button', { name: 'Search with this face' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await waitIdle(page);
    expect(sent[sent.length - 1].event_id).toBe(byEvent[2].event_id);
    expect(await cardIds(page)).toEqual((await apiSearch(sent[sent.length - 1])).map(isoOf));
    expect(pageErrors).toEqual([]);
  });

  it('searches several photos of one person as one, with a verdict per photo, and names the bad one', async () => {
    const { page, pageErrors } = await openConsole();
    const sent = recordSearches(page);
    const views = await Promise.all(
      [
        { margin: 1.7, size: 380 },
        { margin: 2.1, size: 300, brightness: 0.85 },
        { margin: 1.9, size: 340, brightness: 1.15 },
      ].map((o) => faceCrop(PEOPLE.target, o)),
    );
    await choosePhotos(
      page,
      views.map((buffer, i) => ({ name: `ada-${i + 1}.jpg`, buffer })),
    );
    const captions = page.locator('#photo-list .verdict');
    await page.waitForFunction(
      () =>
        [...document.querySelectorAll('#photo-list .verdict')].filter((v) =>
          v.textContent?.includes('passes'),
        ).length === 3,
    );
    expect(await captions.allInnerTexts()).toEqual(
      [1, 2, 3].map((n) =>
        expect.stringMatching(new RegExp(`^Photo ${n}: face found; passes the "low" quality check`)),
      ),
    );
    expect(await page.locator('#photo-list svg rect').count()).toBe(3);
    await pressAndWait(page, 'Search');
    expect((sent[0].face_images_base64 as string[]).length).toBe(3);
    expect(sent[0]).not.toHaveProperty('face_image_base64');
    const expected = await apiSearch(sent[0]);
    expect(expected.length).toBeGreaterThan(0);
    expect(await cardIds(page)).toEqual(expected.map(isoOf));
    await screenshot(page, 'incident-several-photos');

    // One photo without a face among good ones: its own verdict says so, and the search names it.
    await choosePhotos(page, [
      { name: 'ada-1.jpg', buffer: views[0] },
      { name: 'wall.png', buffer: await gradientPng(), mimeType: 'image/png' },
      { name: 'ada-3.jpg', buffer: views[2] },
    ]);
    await page.waitForFunction(() =>
      document.querySelectorAll('#photo-list .verdict')[1]?.textContent?.includes('no face found'),
    );
    await pressAndWait(page, 'Search');
    const alert = page.locator('#error');
    expect(await alert.getAttribute('data-code')).toBe('NO_FACE_ERROR');
    expect(await alert.innerText()).toMatch(/Reason: photo 2: /);
    expect(await captions.nth(1).innerText()).toMatch(/^Photo 2: no face/);
    expect(await captions.nth(0).innerText()).toContain('passes');
    await screenshot(page, 'incident-bad-photo-among-good');

    // Six photos are more than a template takes: refused before anything is sent.
    const before = sent.length;
    await choosePhotos(
      page,
      Array.from({ length: 6 }, (_, i) => ({ name: `p${i}.jpg`, buffer: views[i % 3] })),
    );
    expect(await alert.innerText()).toContain('Too many photos.');
    expect(sent.length).toBe(before);
    expect(pageErrors).toEqual([]);
  });

  it('draws the matches on a timeline, one lane per camera, and opens a match from its mark', async () => {
    const { page, pageErrors } = await openConsole();
    const sent = recordSearches(page);
    await choosePhotos(page, [{ name: 'ada.jpg', buffer: queryPhoto }]);
    await pressAndWait(page, 'Search');
    const events = await apiSearch(sent[0]);
    const lanes = await page.locator('#timeline .lane').evaluateAll((ls) =>
      ls.map((l) => ({
        camera: (l as HTMLElement).dataset.camera,
        times: [...l.querySelectorAll<HTMLElement>('.mark')].map((m) => Number(m.dataset.time)),
      })),
    );
    const cameras = [...new Set(events.map((e) => e.media_device_info.media_device_name))].sort();
    expect(lanes.map((l) => l.camera)).toEqual(cameras);
    for (const lane of lanes) {
      expect(lane.times.sort()).toEqual(
        events
          .filter((e) => e.media_device_info.media_device_name === lane.camera)
          .map((e) => Math.round(e.timestamp * 1000))
          .sort(),
      );
    }
    // A later mark sits further right than an earlier one on the same scale.
    const [newest, oldest] = [events[0], events[events.length - 1]];
    const leftOf = (e: ApiEvent) =>
      page
        .locator(`#timeline .mark[data-time="${Math.round(e.timestamp * 1000)}"]`)
        .first()
        .boundingBox();
    expect((await leftOf(newest))!.x).toBeGreaterThan((await leftOf(oldest))!.x);
    await screenshot(page, 'incident-timeline');

    // Clicking a mark opens that match's scene.
    const pick = events[2];
    await page.locator(`#timeline .mark[data-time="${Math.round(pick.timestamp * 1000)}"]`).click();
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    expect(await dialog.innerText()).toContain(pick.media_device_info.media_device_id);
    const heading = await dialog.getByRole('heading').innerText();
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });

    // From the keyboard: the timeline is one tab stop; arrows move in time order, Enter opens.
    await page.locator('#timeline .mark[tabindex="0"]').focus();
    await page.keyboard.press('Home');
    await page.keyboard.press('ArrowRight');
    const focusedTime = await page.evaluate(() =>
      Number((document.activeElement as HTMLElement).dataset.time),
    );
    const inTimeOrder = events.map((e) => Math.round(e.timestamp * 1000)).sort((a, b) => a - b);
    expect(focusedTime).toBe(inTimeOrder[1]);
    await page.keyboard.press('Enter');
    await dialog.waitFor();
    expect(await dialog.getByRole('heading').innerText()).not.toBe('');
    expect(heading).toContain(TARGET_NAME);
    expect(pageErrors).toEqual([]);
  });

  it('exports the matches as CSV, the rows being the API results, with formulas kept as text', async () => {
    const { page, pageErrors } = await openConsole();
    const sent = recordSearches(page);
    await choosePhotos(page, [{ name: 'ada.jpg', buffer: queryPhoto }]);
    await pressAndWait(page, 'Search');
    const events = await apiSearch(sent[0]);
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Export CSV' }).click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/^face-search-.*\.csv$/);
    const text = readFileSync((await download.path())!, 'utf8').replace(/^\uFEFF/, '');
    const [header, ...rows] = parseCsv(text);
    expect(header).toEqual([
      'time',
      'time_zone',
      'camera',
      'camera_id',
      'score',
      'identity',
      'event_id',
      'face_image_url',
      'scene_image_url',
    ]);
    expect(rows.map((r) => r[6])).toEqual(events.map((e) => e.event_id));
    for (const [i, e] of events.entries()) {
      const row = Object.fromEntries(header.map((h, k) => [h, rows[i][k]]));
      // The time in the page's zone, with its offset: the same instant as the API's.
      expect(row.time).toMatch(/\+08:00$/);
      expect(Date.parse(row.time)).toBe(Math.round(e.timestamp * 1000));
      expect(row.time_zone).toBe(TIME_ZONE);
      expect(Number(row.score)).toBeCloseTo(e.compare_score, 1);
      expect(row.camera_id).toBe(e.media_device_info.media_device_id);
      const name = e.media_device_info.media_device_name;
      expect(row.camera).toBe(name.startsWith('=') ? `'${name}` : name);
      expect(row.identity).toBe(e.identity_name === 'stranger' ? 'Unknown person' : e.identity_name);
      // The links work: each fetches the stored image.
      for (const [url, id] of [
        [row.face_image_url, e.recognize_face_image_id],
        [row.scene_image_url, e.spot_image_id],
      ]) {
        if (!id) {
          expect(url).toBe('');
          continue;
        }
        expect(url).toBe(`${suite.server.url}/sophon/v2/face/images/${id}`);
      }
    }
    expect(rows.some((r) => r[2] === `'${FORMULA_CAMERA}`)).toBe(true);
    const withImage = rows.find((r) => r[7]);
    const image = await fetch(withImage![7]);
    expect(image.status).toBe(200);
    expect(image.headers.get('content-type')).toMatch(/^image\//);
    // No cell starts with a formula character a spreadsheet would act on.
    expect(rows.flat().filter((c) => /^[=+\-@]/.test(c))).toEqual([]);
    expect(pageErrors).toEqual([]);
  });

  it('prints a report with face crops and scene thumbnails, and nothing of the form', async () => {
    const { page, pageErrors } = await openConsole();
    // The print dialog itself cannot be driven headless: count the calls instead.
    await page.addInitScript(() => {
      (window as unknown as { printed: number }).printed = 0;
      window.print = () => {
        (window as unknown as { printed: number }).printed++;
      };
    });
    await page.reload();
    await choosePhotos(page, [{ name: 'ada.jpg', buffer: queryPhoto }]);
    await pressAndWait(page, 'Search');
    const cards = await page.locator('#result-grid .result-card').count();
    await page.getByRole('button', { name: 'Print report' }).click();
    await page.waitForFunction(() => (window as unknown as { printed: number }).printed === 1);
    await page.emulateMedia({ media: 'print' });
    const report = await page.evaluate(() => ({
      rows: document.querySelectorAll('#report-rows tr').length,
      crops: [...document.querySelectorAll<HTMLImageElement>('#report .report-crop')].map(
        (i) => i.naturalWidth,
      ),
      scenes: [...document.querySelectorAll<HTMLImageElement>('#report .report-scene')].map(
        (i) => i.naturalWidth,
      ),
      formShown: getComputedStyle(document.querySelector('main')!).display !== 'none',
      summary: document.getElementById('report-summary')?.textContent ?? '',
    }));
    expect(report.rows).toBe(cards);
    // Every event with images has both loaded; the twin has none (a "No image stored" cell instead).
    expect(report.crops.length).toBe(cards - 1);
    expect(report.crops.every((w) => w > 0)).toBe(true);
    expect(report.scenes.length).toBe(cards - 1);
    expect(report.scenes.every((w) => w > 0)).toBe(true);
    expect(report.formShown).toBe(false);
    expect(report.summary).toMatch(new RegExp(`^Search for one photo, .*: ${cards} matches`));
    await screenshot(page, 'incident-report-print', true);
    expect(pageErrors).toEqual([]);
  });

  it('clears the photo and turns Search off after a file that cannot be opened', async () => {
    const { page, pageErrors } = await openConsole();
    await choosePhotos(page, [{ name: 'ada.jpg', buffer: queryPhoto }]);
    await page.waitForFunction(() =>
      document.getElementById('photo-verdict')?.textContent?.includes('passes'),
    );
    // A JPEG by name and type whose bytes are not a picture: the service cannot open it.
    await choosePhotos(page, [{ name: 'broken.jpg', buffer: Buffer.from('not a picture at all') }]);
    await page.waitForFunction(() => document.getElementById('error')?.dataset.code === 'IMAGE_NOT_OPENED');
    expect(await page.locator('#photo-preview').isHidden()).toBe(true);
    expect(await page.locator('#photo-verdict').innerText()).not.toContain('passes');
    expect(await page.getByRole('button', { name: 'Search', exact: true }).isDisabled()).toBe(true);
    await screenshot(page, 'incident-unopenable-file');
    // A file that is not a picture type at all: refused in the page, named.
    await choosePhotos(page, [{ name: 'ada.jpg', buffer: queryPhoto }]);
    await page.waitForFunction(() =>
      document.getElementById('photo-verdict')?.textContent?.includes('passes'),
    );
    expect(await page.getByRole('button', { name: 'Search', exact: true }).isEnabled()).toBe(true);
    await choosePhotos(page, [{ name: 'notes.txt', buffer: Buffer.from('hello'), mimeType: 'text/plain' }]);
    expect(await page.locator('#error').innerText()).toContain('Reason: notes.txt: cannot be opened');
    expect(await page.locator('#photo-preview').isHidden()).toBe(true);
    expect(await page.getByRole('button', { name: 'Search', exact: true }).isDisabled()).toBe(true);
    expect(pageErrors).toEqual([]);
  });

  it('says what to try when nothing matches', async () => {
    const { page } = await openConsole();
    await choosePhotos(page, [{ name: 'ada.jpg', buffer: queryPhoto }]);
    await page.getByRole('radio', { name: 'Last hour' }).check();
    await pressAndWait(page, 'Search');
    const advice = await page.locator('#no-match').innerText();
    expect(advice).toContain('lower the minimum similarity (it was 82)');
    expect(advice).toContain('widen the time window');
    expect(advice).toContain('check the photo quality level (it was "low")');
    expect(await page.getByRole('button', { name: 'Export CSV' }).isVisible()).toBe(false);
  });

  it('on a phone, shows the results first after a search', async () => {
    const { page, pageErrors } = await openConsole(PHONE);
    await choosePhotos(page, [{ name: 'ada.jpg', buffer: queryPhoto }]);
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await waitIdle(page);
    const where = await page.evaluate(() => ({
      top: document.getElementById('results-heading')!.getBoundingClientRect().top,
      focused: document.activeElement?.id,
      resultsAboveForm:
        document.getElementById('results')!.getBoundingClientRect().bottom <=
        document.getElementById('search-form')!.getBoundingClientRect().top,
    }));
    expect(where.focused).toBe('results-heading');
    expect(where.top).toBeGreaterThanOrEqual(0);
    expect(where.top).toBeLessThan(120);
    // Above the form: the first thing on the page.
    expect(where.resultsAboveForm).toBe(true);
    await screenshot(page, 'incident-phone-results');
    expect(pageErrors).toEqual([]);
  });
});
