// Fencing for cluster mode: the rules leader holds a lease (src/cluster/lease.ts) whose epoch grows
// by one at every take-over. A store write made on the leader's behalf carries the epoch it
// believes it holds; the store refuses it (GW_ERR_LEASE_LOST) when the lease has a newer epoch,
// so a leader that froze, lost its lease and woke up cannot write.
export interface Fence {
  /** the lease's name in table gw_lease (e.g. 'rules') */
  readonly name: string;
  /** the epoch this process holds, or undefined when it does not lead (writes are then refused) */
  epoch(): number | undefined;
}
