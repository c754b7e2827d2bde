// Short-lived single-use tickets for `EventSource`, which can't send an Authorization header: the
// client trades its token for a ticket (POST /api/v1/events/ticket) and opens `?ticket=`. Tickets
// live in memory only: a restart invalidates them, which costs a client one more POST.
import { randomBytes } from 'node:crypto';
import type { Principal } from '../ports/services';

const TICKET_TTL_MS = 30_000;

export class TicketBook {
  private readonly tickets = new Map<string, { principal: Principal; expires: number }>();

  constructor(
    private readonly now: () => number = Date.now,
    private readonly ttlMs = TICKET_TTL_MS,
  ) {}

  issue(principal: Principal): { ticket: string; expiresAt: string } {
    this.sweep();
    const ticket = randomBytes(24).toString('base64url');
    const expires = this.now() + this.ttlMs;
    this.tickets.set(ticket, { principal, expires });
    return { ticket, expiresAt: new Date(expires).toISOString() };
  }

  /** The principal, once; null for an unknown, used or expired ticket. */
  consume(ticket: string): Principal | null {
    const t = this.tickets.get(ticket);
    if (!t) return null;
    this.tickets.delete(ticket);
    return t.expires > this.now() ? t.principal : null;
  }

  private sweep(): void {
    const now = this.now();
    for (const [k, t] of this.tickets) if (t.expires <= now) this.tickets.delete(k);
  }
}
