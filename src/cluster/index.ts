export { openClusterConnections, redactUrl, type ClusterConnections } from './connect.js';
export { Lease, LEASE_TABLE_SQL, type LeaseOptions, type LeaseEvents } from './lease.js';
export { fencedTransaction } from './fenced.js';
export { reportClaims, ensureReportRunsTable } from './report-claims.js';
export { StreamProducer, StreamConsumer, parseEntry, isData, STREAM_KEY, GROUP, LASTSEEN_KEY, RULESTATE_KEY, EPOCH_KEY, type ClusterInput, type StreamEntry, type ConsumerOptions } from './stream.js';
export { runLeader, type LeaderOptions, type LeaderHandle } from './leader.js';
export { LastSeenSweep, dueOffline, type OfflineInput, type SweepOptions } from './lastseen.js';
