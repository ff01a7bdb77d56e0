// The rules engine's public entry.
export { RuleEngine, type RuleEngineOptions, type RuleTransition } from './engine.js';
export { evaluate, step, compileRule, initialState } from './evaluate.js';
export { effectiveRules, defaultRulesFor, scopeRank } from './resolve.js';
export { localTime, inWindow, clockMinutes, type LocalTime } from './localtime.js';
export { zoneLimitAt } from './conditions/zone-limit.js';
export type { RuleInput, RuleContext, RuleState, EvalResult, CompiledRule, Transition } from './types.js';
export { encodeSnapshot, decodeSnapshot, specKey, type DeviceSnapshot, type SavedRule } from './snapshot.js';
