export { openClusterConnections, redactUrl, type ClusterConnections } from './connect.js';
export { Lease, LEASE_TABLE_SQL, type LeaseOptions, type LeaseEvents } from './lease.js';
export { fencedTransaction } from './fenced.js';
export { reportClaims, ensureReportRunsTable } from './report-claims.js';
