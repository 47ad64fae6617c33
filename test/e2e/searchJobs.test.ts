import type { Page } from 'playwright-core';
import { resolve } from 'node:path';
import { DESKTOP, openPage, screenshot } from './browser';
import { seedCrowdOutOfProcess } from './crowd';
import { consoleSuite } from './fixture';
import { faceCrop, PEOPLE } from './photos';
import { seedPeople } from './seed';

/**
 * The console's long windows run as search jobs (issue 13, point 3): "Last 90 days" over a history that
 * spans more than 30 days, its grid against the job's own pages from the API, the progress bar, and Stop.
 * One worker and small pieces make a job take many pieces, so it is still running when Stop is pressed.
 */

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

let queryPhoto: Buffer;
let now: number;

const suite = consoleSuite({
  env: { JOB_WORKERS: '1', JOB_PIECE_RECORDS: '100' },
  seed: async (server) => {
    now = Date.now();
    await Promise.all([
      seedPeople(server.url, {
        targetTimes: [2 * HOUR, 10 * DAY, 35 * DAY, 60 * DAY].map((t) => now - t),
        otherTimes: [40 * DAY].map((t) => now - t),
      }),
      seedCrowdOutOfProcess(server.endpoints.dynamodb, {
        count: 3_000,
        newestMs: now - 3 * HOUR,
        oldestMs: now - 80 * DAY,
      }),
    ]);
    queryPhoto = await faceCrop(PEOPLE.target, { margin: 1.9, size: 420 });
  },
});

interface JobPage {
  state: string;
  records_examined: number;
  records_total: number;
  events: { event_id: string; timestamp: number }[];
  next_page_token: string | null;
}

async function getJob(id: string, token: string | null): Promise<JobPage> {
  const q = token ? `?page_token=${encodeURIComponent(token)}` : '';
  const res = await fetch(`${suite.server.url}/sophon/v2/face/searchjobs/${id}${q}`);
  expect(res.status).toBe(200);
  return (await res.json()) as JobPage;
}

async function openWithPhoto(): Promise<Page> {
  const { page } = await openPage(suite.browser, DESKTOP, 'UTC');
  await page.goto(suite.server.url);
  await page
    .getByLabel('Choose a photo…')
    .setInputFiles({ name: 'query.jpg', mimeType: 'image/jpeg', buffer: queryPhoto });
  await page.getByLabel('Last 90 days').check();
  return page;
}

function jobIdOf(page: Page): Promise<string> {
  return page
    .waitForResponse((r) => r.url().endsWith('/sophon/v2/face/searchjobs') && r.request().method() === 'POST')
    .then(async (r) => ((await r.json()) as { job_id: string }).job_id);
}

describe('long windows run as search jobs', () => {
  it('"Last 90 days" fills the grid with the job\'s events in order and the progress reaches 100%', async () => {
    const page = await openWithPhoto();
    const id = jobIdOf(page);
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    const jobId = await id;
    await page.waitForFunction(() => document.getElementById('job-state')?.textContent === 'done', null, {
      timeout: 120_000,
    });
    // The job's events, read page by page from the API as a client would.
    const expected: string[] = [];
    let token: string | null = null;
    let last: JobPage;
    do {
      last = await getJob(jobId, token);
      expected.push(...last.events.map((e) => new Date(Math.round(e.timestamp * 1000)).toISOString()));
      token = last.next_page_token;
    } while (token);
    expect(last.state).toBe('done');
    // The seeded sightings older than 30 days are among them: the job searched the long window.
    expect(expected.filter((t) => Date.parse(t) < now - 30 * DAY).length).toBeGreaterThanOrEqual(2);
    const shown = await page
      .locator('#result-grid .result-card time')
      .evaluateAll((els) => els.map((e) => e.getAttribute('datetime') ?? ''));
    expect(shown).toEqual(expected);
    const bar = page.getByRole('progressbar', { name: 'Records searched' });
    const max = Number(await bar.getAttribute('aria-valuemax'));
    expect(max).toBe(last.records_total);
    expect(max).toBeGreaterThan(3_000);
    expect(Number(await bar.getAttribute('aria-valuenow'))).toBe(max);
    await expect(page.locator('#status').textContent()).resolves.toBe(
      `${expected.length} matches in ${max.toLocaleString('en-US')} records, done.`,
    );
    expect(await page.locator('#timeline-lanes .mark').count()).toBeGreaterThan(0);
    await screenshot(page, 'job-progress');
    // The docs' picture: the top of the results panel (status, bar, timeline; the photos make it heavy).
    const box = await page.locator('#results').boundingBox();
    if (!box) throw new Error('the results panel is not on screen');
    await page.screenshot({
      path: resolve(__dirname, '../../docs/screenshots/job-progress.png'),
      clip: { ...box, height: Math.min(box.height, 420) },
    });
    await page.close();
  }, 180_000);

  it('Stop cancels a running job: the service says cancelled and the page says stopped', async () => {
    const page = await openWithPhoto();
    const id = jobIdOf(page);
    const cancelled = page.waitForResponse(
      (r) => r.url().includes('/sophon/v2/face/searchjobs/') && r.request().method() === 'DELETE',
    );
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    const jobId = await id;
    await page.getByRole('button', { name: 'Stop', exact: true }).click();
    expect(((await (await cancelled).json()) as { state: string }).state).toBe('cancelled');
    await page.waitForFunction(() => document.getElementById('job-state')?.textContent === 'stopped');
    expect(await page.locator('#status').textContent()).toMatch(/ records, stopped\.$/);
    const after = await getJob(jobId, null);
    expect(after.state).toBe('cancelled');
    expect(after.records_examined).toBeLessThan(after.records_total);
    await page.close();
  }, 180_000);
});
