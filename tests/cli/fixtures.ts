// The CLI report tests' site: a real influxd holding the test's readings, and a config file in a
// temp dir that points the command line at it (tests/reports/fixtures.ts rawSite).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { startTestInflux } from '../helpers/influxd.js';
import { rawSite, writeLines } from '../reports/fixtures.js';

export interface CliSite {
  /** the config file to pass as --config */
  config: string;
  /** stops influxd and removes the temp dir */
  cleanup(): Promise<void>;
}

/** Starts influxd, writes `lines` (line protocol) into database `db`, writes the config file. */
export async function startCliSite(db: string, lines: string[]): Promise<CliSite> {
  const influxd = await startTestInflux();
  const dir = mkdtempSync(join(tmpdir(), `gw-cli-${db}-`));
  const cleanup = async (): Promise<void> => {
    await influxd.cleanup();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await influxd.createDb(db);
    await writeLines(influxd.url, db, lines);
    const config = join(dir, 'gridwatch.yaml');
    writeFileSync(config, stringify(rawSite({ influx: { url: influxd.url, database: db }, dataDir: dir })));
    return { config, cleanup };
  } catch (err) {
    await cleanup();
    throw err;
  }
}
