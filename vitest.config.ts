import { defineConfig } from 'vitest/config';

// Pure tests: no OS package (influxd, mosquitto, chromium), no child process, no server or socket.
// `npm run test:unit` runs just these; a test file not listed here runs with the integration
// project, so a new test is treated as integration until someone vouches that it is pure.
const UNIT = [
  'tests/alerts/escalation.test.ts',
  'tests/alerts/lifecycle.test.ts',
  'tests/alerts/owed.test.ts',
  'tests/alerts/routing.test.ts',
  'tests/alerts/service.test.ts',
  'tests/alerts/silences.test.ts',
  'tests/api/readings-query.test.ts',
  'tests/broker/frame-guard.test.ts',
  'tests/broker/policy.test.ts',
  'tests/broker/rate.test.ts',
  'tests/broker/split-emitter.test.ts',
  'tests/cli/demo-story.test.ts',
  'tests/config/**/*.test.ts',
  'tests/core/**/*.test.ts',
  'tests/firmware-sim/signals.test.ts',
  'tests/firmware-sim/time.test.ts',
  'tests/ingest/dedup.test.ts',
  'tests/ingest/journal.test.ts',
  'tests/ingest/messages.test.ts',
  'tests/ingest/validate.test.ts',
  'tests/kinds/**/*.test.ts',
  'tests/lint/**/*.test.ts',
  'tests/live/coalescer.test.ts',
  'tests/notify/backoff.test.ts',
  'tests/notify/channels/live.test.ts',
  'tests/notify/render-report.test.ts',
  'tests/notify/render.test.ts',
  'tests/notify/stages.test.ts',
  'tests/panel/logic.test.ts',
  'tests/reports/digest.test.ts',
  'tests/reports/format.test.ts',
  'tests/reports/noise-math.test.ts',
  'tests/reports/outage-tracker.test.ts',
  'tests/reports/tz.test.ts',
  'tests/reports/uptime-math.test.ts',
  'tests/rules/**/*.test.ts',
  'tests/store/backoff.test.ts',
  'tests/store/deliver.test.ts',
  'tests/store/points.test.ts',
];

export default defineConfig({
  test: {
    // Two cores: at most two test files at once, whichever project they belong to.
    maxWorkers: 2,
    teardownTimeout: 30_000,
    projects: [
      {
        extends: true,
        // Generous only because six jobs may share two cores; a pure test never waits on I/O.
        test: { name: 'unit', include: UNIT, testTimeout: 20_000 },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['tests/**/*.test.ts'],
          exclude: UNIT,
          // These start real influxd / brokers / browsers; two cores can't run many at once.
          fileParallelism: true,
          maxWorkers: 2,
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
