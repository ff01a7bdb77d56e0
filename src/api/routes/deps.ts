import type { FastifyBaseLogger, FastifyInstance, RawReplyDefaultExpression, RawRequestDefaultExpression, RawServerDefault } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { HubContext } from '../../hub/context.js';
import type { ApiRuntime } from '../runtime.js';

/** What every route module receives. */
export interface RouteDeps { ctx: HubContext; rt: ApiRuntime; loginRateMax: number; loginRateWindowMs: number }

/** The fastify instance routes are declared on: TypeBox schemas give typed request parts. */
export type Api = FastifyInstance<RawServerDefault, RawRequestDefaultExpression, RawReplyDefaultExpression, FastifyBaseLogger, TypeBoxTypeProvider>;
