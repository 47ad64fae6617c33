/**
 * Erases again every event id in the erasure list (functions/erase/reapplyErasures.ts): run it after a
 * table restore, before the restored table takes traffic (docs/security.md, "Restore").
 *
 *   npm run reapply-erasures                    # the local server's data (running at $PORT, or DATA_DIR)
 *   npm run reapply-erasures -- --url <url>     # another local server
 *   EVENTS_TABLE=<restored table> IMAGE_BUCKET=<bucket> npm run reapply-erasures -- --aws
 *
 * Prints one JSON line: { listed, erased }.
 */
import { Command } from 'commander';
import { reapplyErasures } from '../functions/erase/reapplyErasures';
import { targetServices } from './lib/targetServices';

async function main(): Promise<void> {
  const o = new Command()
    .name('reapply-erasures')
    .option('--aws', 'the configured table and bucket through the default AWS endpoints and credentials')
    .option('--url <url>', 'the local server whose data to treat (default: http://127.0.0.1:$PORT)')
    .parse()
    .opts<{ aws?: boolean; url?: string }>();
  const { services, close } = await targetServices(o);
  try {
    console.log(JSON.stringify(await reapplyErasures(services)));
  } finally {
    await close();
  }
}

main().catch((err) => {
  console.error('reapply-erasures failed:', err instanceof Error ? err.message : err);
  process.exit(1);
});
