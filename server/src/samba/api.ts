// SambaApi for the HTTP layer (GET /api/v1/samba, POST …/apply, …/rollback).
import type { SambaApi } from '../ports/services';
import type { SambaManager } from './manager';

export function createSambaApi(manager: SambaManager): SambaApi {
  return {
    state: () => manager.state(),
    // The API never forces over a hand edit: that stays a deliberate CLI action (samba apply --force).
    apply: async (actor) => (await manager.apply(actor)).state,
    rollback: async (actor) => (await manager.rollback(actor)).state,
  };
}
