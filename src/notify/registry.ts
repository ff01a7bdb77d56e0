// One line per channel type: config `channels[].type` -> factory. Adding a channel is a new file
// under channels/ and one line here.
import type { Clock } from '../core/clock.js';
import { ValidationError } from '../core/errors.js';
import type { ChannelConfig } from '../config/schema.js';
import { dingtalkChannel } from './channels/dingtalk.js';
import { feishuChannel } from './channels/feishu.js';
import type { ChannelOptions } from './channels/options.js';
import { sirenChannel, type CommandSender } from './channels/siren.js';
import { webhookChannel } from './channels/webhook.js';
import { wecomChannel } from './channels/wecom.js';
import { resolveSecret } from './secret.js';
import type { Channel } from './types.js';

export interface ChannelDeps {
  clock: Clock;
  commands: CommandSender;
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
}

type Factory = (cfg: ChannelConfig, field: string, opts: ChannelOptions, deps: ChannelDeps) => Channel;

function needUrl(cfg: ChannelConfig, field: string): string {
  if (cfg.url === undefined || !/^https?:\/\//.test(cfg.url)) throw new ValidationError('GW_ERR_CONFIG_INVALID', `${field}/url`, cfg.url, `a ${cfg.type} channel needs an http(s) url`);
  return cfg.url;
}

const secretOf = (cfg: ChannelConfig, field: string, deps: ChannelDeps): string | undefined => resolveSecret(cfg.secret, `${field}/secret`, deps.env);

export const CHANNEL_FACTORIES: Record<ChannelConfig['type'], Factory> = {
  webhook: (cfg, field, opts, deps) => webhookChannel({ ...opts, url: needUrl(cfg, field), secret: secretOf(cfg, field, deps) }, deps.clock),
  wecom: (cfg, field, opts) => wecomChannel({ ...opts, url: needUrl(cfg, field) }),
  dingtalk: (cfg, field, opts, deps) => dingtalkChannel({ ...opts, url: needUrl(cfg, field), secret: secretOf(cfg, field, deps) }, deps.clock),
  feishu: (cfg, field, opts, deps) => feishuChannel({ ...opts, url: needUrl(cfg, field), secret: secretOf(cfg, field, deps) }, deps.clock),
  siren: (cfg, field, opts, deps) => {
    if (!cfg.devices || cfg.devices.length === 0) throw new ValidationError('GW_ERR_CONFIG_INVALID', `${field}/devices`, cfg.devices, 'a siren channel needs at least one device');
    return sirenChannel({ ...opts, devices: cfg.devices }, deps.commands);
  },
};

/** Build one channel from its config entry (`field` is its JSON pointer in the config, e.g. `/channels/2`, for messages). */
export function buildChannel(cfg: ChannelConfig, field: string, deps: ChannelDeps): Channel {
  const minSeverity = cfg.minSeverity ?? (cfg.type === 'siren' ? 'critical' : undefined);
  const opts: ChannelOptions = {
    base: { id: cfg.id, type: cfg.type, maxAttempts: cfg.maxAttempts, minSeverity, grids: cfg.grids },
    timeoutMs: deps.timeoutMs,
  };
  return CHANNEL_FACTORIES[cfg.type](cfg, field, opts, deps);
}
