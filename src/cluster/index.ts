export { openClusterConnections, redactUrl, type ClusterConnections } from './connect.js';
