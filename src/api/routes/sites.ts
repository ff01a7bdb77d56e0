// GET /sites: the street → community → grid → building tree, cut to the grids the person may see.
import type { SiteIndex } from '../../config/site.js';
import { who } from '../http.js';
import { errors, SiteTree } from '../schemas.js';
import type { Api, RouteDeps } from './deps.js';

export function siteTree(site: SiteIndex, grids: ReadonlySet<string>) {
  return [...site.streets.values()].map((s) => ({
    id: s.id, name: s.name,
    communities: s.communities.map((cid) => site.communities.get(cid)).filter((c) => c !== undefined).map((c) => ({
      id: c.id, name: c.name,
      grids: c.grids.filter((g) => grids.has(g)).map((g) => site.grids.get(g)).filter((g) => g !== undefined).map((g) => ({
        id: g.id, name: g.name, noiseZone: g.noiseZone,
        buildings: g.buildings.map((b) => site.buildings.get(b)).filter((b) => b !== undefined).map((b) => ({ id: b.id, name: b.name })),
      })),
    })).filter((c) => c.grids.length > 0),
  })).filter((s) => s.communities.length > 0);
}

export async function siteRoutes(app: Api, { ctx }: RouteDeps): Promise<void> {
  app.get('/sites', {
    schema: { tags: ['sites'], summary: 'The site tree the person may see', response: { 200: SiteTree, ...errors } },
  }, async (req) => siteTree(ctx.site, new Set(who(req).grids)));
}
