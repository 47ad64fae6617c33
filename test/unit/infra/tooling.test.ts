import { execFile } from 'node:child_process';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { summarize } from '../../../infra/synthSummary';
import { cleanUp, synth, type Synth } from './synth';

const ROOT = resolve(__dirname, '../../..');
const run = promisify(execFile);

/** A port nothing listens on: one the OS just handed out and that was closed again. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as { port: number };
  await new Promise((ok) => server.close(ok));
  return port;
}

describe('deploy:local preflight', () => {
  it('stops with one line naming the endpoint when nothing listens there, before building anything', async () => {
    const endpoint = `http://127.0.0.1:${await closedPort()}`;
    const r = await run(join(ROOT, 'node_modules/.bin/tsx'), ['infra/deployLocal.ts'], {
      cwd: ROOT,
      env: { ...process.env, LOCALSTACK_ENDPOINT: endpoint },
    }).then(
      () => ({ code: 0, stdout: '', stderr: '' }),
      (err: { code: number; stdout: string; stderr: string }) => err,
    );
    expect(r.code).toBe(1);
    expect(r.stdout).toBe(''); // no layer build, no cdk
    expect(r.stderr.trim().split('\n')).toEqual([
      `deploy:local: LocalStack is not reachable at ${endpoint} (connection refused). Start LocalStack, ` +
        'or set LOCALSTACK_ENDPOINT=http://<host>:4566.',
    ]);
  }, 60_000);
});

describe('synth summary', () => {
  let s: Synth | undefined;
  afterAll(() => cleanUp(s));

  it('is a short summary of the stack, not the template', () => {
    s = synth();
    const lines = summarize(s.outdir);
    expect(lines[0]).toMatch(/^SophonFaceSearch: \d+ resources, \d+ outputs/);
    expect(lines).toContainEqual(expect.stringMatching(/^\s+\d+ {2}AWS::Lambda::Function$/));
    expect(lines).toContainEqual(expect.stringMatching(/^\s+1 {2}AWS::CloudWatch::Dashboard$/));
    expect(lines.at(-1)).toMatch(/cdk-nag AwsSolutions: no unacknowledged findings/);
    // The template itself is thousands of lines; the summary is one line per resource type.
    expect(lines.length).toBeLessThan(40);
    expect(lines.join('\n').length).toBeLessThan(3000);
  });
});
