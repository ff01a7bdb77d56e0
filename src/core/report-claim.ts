// What the report schedule needs to write each scheduled report once across a cluster (the
// implementation is PostgreSQL's, src/cluster/report-claims.ts; single mode has none).

/** One hub's hold on (report, period). */
export interface HeldReport {
  /** the report is written and sent: nobody takes it over */
  done(): Promise<void>;
  /** this hub gives up (the report failed): the next hub to ask takes it over at once */
  release(): Promise<void>;
}

export interface ReportClaims {
  /** how long an open claim holds without being refreshed; the schedule asks again after it */
  readonly staleMs: number;
  /** the hold, or why not: `held` (another hub is on it: ask again later) or `done` */
  claim(report: 'daily' | 'monthly', period: string): Promise<HeldReport | 'held' | 'done'>;
}
