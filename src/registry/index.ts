export { SiteRegistry, type DeviceChange, type PersonChange, type RegistryEvents, type RegistryOptions, type StoreRegistryOptions } from './registry.js';
export { canSeeGrid, gridOfScope, toPrincipal, visibleGrids, type Principal } from './access.js';
export { deviceNotFound, type NewDevice } from './devices.js';
export { checkPerson, personNotFound, personView, type NewPerson, type PersonPatch, type PersonView } from './people.js';
export { overrideKey, parseScopeKey, scopeKey, type OverrideView, type RuleScope } from './rule-overrides.js';
export { RegistryDb } from './db.js';
export { PgRegistryStore, REGISTRY_CHANNEL, type PgRegistryStoreOptions } from './pg-store.js';
export type { RegistrySnapshot, RegistryStore, StoredChange, StoredDevice, StoredPerson, StoredRule } from './store.js';
