export { loadConfigFile, parseConfig, describeErrors } from './load.js';
export { ConfigSchema, type Config, type DeviceConfig, type PersonConfig, type ChannelConfig, type SilenceConfig, type ClusterConfig } from './schema.js';
export { SiteIndex, type BuildingInfo, type GridInfo, type CommunityInfo, type StreetInfo } from './site.js';
