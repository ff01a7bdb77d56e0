// What every channel factory receives besides its own fields.
import type { Channel } from '../types.js';

export interface ChannelOptions {
  /** id, type, maxAttempts and routing, copied onto the channel */
  base: Pick<Channel, 'id' | 'type' | 'maxAttempts' | 'minSeverity' | 'grids'>;
  timeoutMs?: number;
}
