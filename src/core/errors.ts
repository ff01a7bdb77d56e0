// Owns the catalogue of every error code gridwatch raises. Codes are stable: a retired code is
// never reused. docs/errors.md lists them and tests/core/errors.test.ts keeps the two in step.

export const ERROR_CODES = {
  GW_ERR_CONFIG_READ: 'The config file cannot be read',
  GW_ERR_CONFIG_PARSE: 'The config file is not valid YAML',
  GW_ERR_CONFIG_INVALID: 'The config file breaks the schema or a cross-reference rule',
  GW_ERR_CONFIG_ENV: 'An environment override has a bad value',
  GW_ERR_PAYLOAD_JSON: 'A payload is not valid JSON',
  GW_ERR_PAYLOAD_SHAPE: 'A payload is not a JSON object or array of objects',
  GW_ERR_PAYLOAD_FIELD: 'A payload field breaks its rule (type, range, required)',
  GW_ERR_PAYLOAD_FUTURE_TS: 'A reading timestamp is too far in the future',
  GW_ERR_PAYLOAD_BATCH_SIZE: 'A batch holds no readings, or more than allowed',
  GW_ERR_PAYLOAD_TOO_LARGE: 'A payload is larger than the maximum packet size',
  GW_ERR_PAYLOAD_DUPLICATE: 'A reading repeats one already stored from the device (same seq and content)',
  GW_ERR_BROKER_AUTH: 'A device failed authentication',
  GW_ERR_BROKER_CLIENT_ID: 'The MQTT client id is not the device id',
  GW_ERR_BROKER_ACL: 'A device published or subscribed outside its own topics',
  GW_ERR_BROKER_RATE: 'A device exceeded its message rate',
  GW_ERR_COMMAND_UNCONFIRMED: 'A device did not confirm a command (cmd/ack) after every re-send',
  GW_ERR_STORE_WRITE: 'InfluxDB refused or failed a write',
  GW_ERR_STORE_SPOOL: 'The on-disk spool failed',
  GW_ERR_STORE_INFLUXD_MISSING: 'The influxd binary is not installed',
  GW_ERR_STORE_INFLUXD_START: 'The managed influxd did not start',
  GW_ERR_STORE_QUERY: 'An InfluxDB query failed',
  GW_ERR_RULE_INVALID: 'A rule definition is invalid',
  GW_ERR_ALERT_NOT_FOUND: 'No alert case has that id',
  GW_ERR_ALERT_TRANSITION: 'The alert case cannot make that transition',
  GW_ERR_ALERT_STILL_ACTIVE: 'The case\'s condition still holds: resolving or closing it needs an override with a reason',
  GW_ERR_ALERT_CONFLICT: 'The alert case changed meanwhile, or its device already has an open case of that incident',
  GW_ERR_NOTIFY_DELIVERY: 'A notification channel failed to deliver',
  GW_ERR_API_AUTH: 'The request has no valid credentials',
  GW_ERR_API_FORBIDDEN: 'The user may not do this',
  GW_ERR_API_VALIDATION: 'The request breaks its schema',
  GW_ERR_API_NOT_FOUND: 'No such resource',
  GW_ERR_API_RATE: 'Too many requests',
  GW_ERR_API_INTERNAL: 'The API failed unexpectedly (see the hub log)',
  GW_ERR_REPORT_RANGE: 'A report period or scope is invalid',
  GW_ERR_CLI_USAGE: 'A command line argument is invalid',
  GW_ERR_LEASE_LOST: 'A write made on behalf of the rules leader was refused: another hub holds the lease now (cluster mode)',
  GW_ERR_CLUSTER_UNAVAILABLE: 'Redis or PostgreSQL of the cluster cannot be reached',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/** The HTTP status each code answers with, wherever it reaches HTTP (API, reports). Complete: a new code needs its status here. */
export const HTTP_STATUS: Record<ErrorCode, number> = {
  GW_ERR_CONFIG_READ: 500, GW_ERR_CONFIG_PARSE: 500, GW_ERR_CONFIG_INVALID: 500, GW_ERR_CONFIG_ENV: 500,
  GW_ERR_PAYLOAD_JSON: 400, GW_ERR_PAYLOAD_SHAPE: 400, GW_ERR_PAYLOAD_FIELD: 400, GW_ERR_PAYLOAD_FUTURE_TS: 400,
  GW_ERR_PAYLOAD_BATCH_SIZE: 400, GW_ERR_PAYLOAD_TOO_LARGE: 413, GW_ERR_PAYLOAD_DUPLICATE: 409,
  GW_ERR_BROKER_AUTH: 401, GW_ERR_BROKER_CLIENT_ID: 400, GW_ERR_BROKER_ACL: 403, GW_ERR_BROKER_RATE: 429,
  GW_ERR_COMMAND_UNCONFIRMED: 504,
  GW_ERR_STORE_WRITE: 503, GW_ERR_STORE_SPOOL: 500, GW_ERR_STORE_INFLUXD_MISSING: 500, GW_ERR_STORE_INFLUXD_START: 500, GW_ERR_STORE_QUERY: 503,
  GW_ERR_RULE_INVALID: 400, GW_ERR_ALERT_NOT_FOUND: 404, GW_ERR_ALERT_TRANSITION: 409, GW_ERR_ALERT_STILL_ACTIVE: 409, GW_ERR_ALERT_CONFLICT: 409, GW_ERR_NOTIFY_DELIVERY: 502,
  GW_ERR_API_AUTH: 401, GW_ERR_API_FORBIDDEN: 403, GW_ERR_API_VALIDATION: 400, GW_ERR_API_NOT_FOUND: 404,
  GW_ERR_API_RATE: 429, GW_ERR_API_INTERNAL: 500, GW_ERR_REPORT_RANGE: 400, GW_ERR_CLI_USAGE: 400,
  GW_ERR_LEASE_LOST: 409, GW_ERR_CLUSTER_UNAVAILABLE: 503,
};

export class GridwatchError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown>;
  /** True where trying the same thing again later may succeed (network, a server restarting). */
  readonly retryable: boolean;

  constructor(code: ErrorCode, message: string, opts: { details?: Record<string, unknown>; retryable?: boolean; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'GridwatchError';
    this.code = code;
    this.details = opts.details ?? {};
    this.retryable = opts.retryable ?? false;
  }

  toJSON(): { code: ErrorCode; message: string; details: Record<string, unknown> } {
    return { code: this.code, message: this.message, details: this.details };
  }
}

/** A field-level rejection: names the field, the value and the rule it broke. */
export class ValidationError extends GridwatchError {
  constructor(code: ErrorCode, readonly field: string, readonly value: unknown, readonly rule: string) {
    super(code, `field '${field}' value ${formatValue(value)} breaks rule: ${rule}`, { details: { field, value, rule } });
    this.name = 'ValidationError';
  }
}

export function formatValue(value: unknown): string {
  if (value === undefined) return '(missing)';
  try {
    const s = JSON.stringify(value);
    return s.length > 80 ? `${s.slice(0, 77)}...` : s;
  } catch {
    return String(value);
  }
}

export function isGridwatchError(e: unknown): e is GridwatchError {
  return e instanceof GridwatchError;
}
