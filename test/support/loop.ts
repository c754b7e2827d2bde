/**
 * The worst event-loop delay a busy process may show before it counts as a stall, given an idle
 * control Node process's worst delay on the same machine over the same time.
 *
 * CPU starvation on a shared 2-core runner delays every process, and a busy one more: each of its
 * wake-ups is another chance to wait for a core. Measured under the whole suite plus a benchmark,
 * the client core's worst delay ran to about three times the idle control's (306 ms against
 * 104 ms). A real stall, a call waiting on a hung share, lasts seconds and stays far above this.
 */
export function stallBoundMs(controlMaxMs: number, floorMs: number): number {
  return Math.max(floorMs, controlMaxMs * 3 + 50);
}
