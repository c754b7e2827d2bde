// SambaApi for the HTTP layer (GET /api/v1/samba, POST …/apply, …/rollback).
import type { SambaActionResult } from '../contract/api';
import type { SambaApi } from '../ports/services';
import type { ApplyResult, SambaManager } from './manager';

const answer = ({ changed, reloaded, answered, backup, restartNeeded, messages, state }: ApplyResult): SambaActionResult => ({ changed, reloaded, answered, backup, restartNeeded, messages, state });

export function createSambaApi(manager: SambaManager): SambaApi {
  return {
    state: () => manager.state(),
    // The API never forces over a hand edit: that stays a deliberate CLI action (samba apply --force).
    apply: async (actor) => answer(await manager.apply(actor)),
    rollback: async (actor) => answer(await manager.rollback(actor)),
  };
}
