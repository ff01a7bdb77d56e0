// The store stage's public surface.
export { InfluxWriter, type InfluxWriterOptions, type InfluxWriterStats, type RetryOptions } from './writer.js';
export { Spool, type SpoolOptions, type SegmentInfo } from './spool.js';
export { createInfluxClient, ensureDatabase, type InfluxConnection } from './client.js';
export { readingPoint, presencePoint, alertPoint, pointProblem, influxSchemas, FIELD_TYPES, PLACEMENT_TAGS, ALERT_TAGS, PRESENCE_MEASUREMENT, ALERT_MEASUREMENT, type StoreFieldType } from './points.js';
export { latest, countPoints, querySeries, parseSeries, ident, literal, type Row, type Series } from './query.js';
export { startInfluxd, findInfluxd, freePort, waitForPing, type ManagedInfluxd, type InfluxdOptions } from './influxd.js';
export type { PointSink, WriterStats } from './types.js';
