// What routes share: their access level, the principal of a request and the route config shape.
import type { FastifyBaseLogger } from 'fastify';
import type { Clock } from '../ports/clock';
import type {
  AuditSink,
  EngineApi,
  EventHub,
  HotSetsApi,
  JobSettingsApi,
  MetricsApi,
  NotificationsApi,
  Pairing,
  Principal,
  SambaApi,
  ScheduleApi,
  RecoveryApi,
  SnapshotsApi,
  StatusApi,
  TokenAuth,
  UpdatesApi,
} from '../ports/services';
import type { TicketBook } from './tickets';
import type { DeclaredSchemas } from './schema';
import type { FailureLimitOptions } from './limiter';

/** none: anyone (health, pairing, the page); viewer: any valid token; admin: admin tokens only. */
export type Access = 'none' | 'viewer' | 'admin';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Missing means admin: a route that forgets to say is closed, not open. */
    access?: Access;
    /** May authenticate with `?ticket=` (EventSource can't send headers). */
    ticket?: boolean;
    /** Also answers `text/event-stream` (with Accept: text/event-stream): what its events carry. */
    stream?: 'events' | 'run-log';
    /** Answers bytes, not JSON (a download): the media types it may send. */
    download?: readonly string[];
    /** Recorded in the audit log under this action name. */
    audit?: string;
    /** A request with no credentials at all is let in from these addresses (GET /metrics). */
    anonymousFrom?: (ip: string) => boolean;
  }
  interface FastifyRequest {
    principal: Principal | null;
    /** Extra words for the audit entry (e.g. the run id a run request created). */
    auditDetail: string | null;
  }
}

export interface AppConfig {
  /** Host names (besides loopback names and any IP address) the Host header may carry. */
  allowedHosts: string[];
  /** The built admin pane (dist/renderer), served at `/` when given. */
  adminDir?: string;
  version?: string;
  /** SHA-256 of the TLS certificate, handed to clients that pair; null without TLS. */
  fingerprint?: string | null;
  /** Addresses and CIDR ranges that may read /metrics without a token (metrics.allowWithoutToken). */
  metricsWithoutToken?: string[];
}

export interface AppDeps {
  engine: EngineApi;
  events: EventHub;
  status: StatusApi;
  samba?: SambaApi;
  /** Notification channels, tests and per-job choices (serve). */
  notifications?: NotificationsApi;
  /** GET /metrics (serve). */
  metrics?: MetricsApi;
  /** Present when the server can write its pillarsd.yaml (serve); PUT .../schedule answers 404 without it. */
  schedules?: ScheduleApi;
  /** Present when pillarsd.yaml can be edited (serve): every job setting, enable/disable in the file. */
  settings?: JobSettingsApi;
  /** Present when pillarsd.yaml has a syncthing: section with a hot-set root. */
  hotSets?: HotSetsApi;
  /** Snapshots, browsing, download and restore (serve): the repositories of restic jobs. */
  snapshots?: SnapshotsApi;
  /** Disaster recovery from the offsite remote (serve). */
  recovery?: RecoveryApi;
  /** The tray builds it publishes (serve): the electron-updater feed. */
  updates?: UpdatesApi;
  auth: TokenAuth;
  audit: AuditSink;
  pairing: Pairing;
  config: AppConfig;
  clock?: Clock;
  sse?: { heartbeatMs?: number; maxQueued?: number; ticketTtlMs?: number };
  /** Failed authentications allowed per address and window (default 20 per 5 minutes). */
  authFailures?: FailureLimitOptions;
  /** How long one computed status may answer GET /status (default 1000 ms; any event invalidates it; 0: never reused). */
  statusCacheMs?: number;
  /** Largest request body in bytes (default 64 KiB: every body of the API is tiny). */
  bodyLimit?: number;
  /**
   * The server's logger (pino; the composition root's, with its redaction): one line per request
   * that changed something or failed, and every unexpected error. None: nothing is logged.
   */
  logger?: FastifyBaseLogger;
  /** Where unexpected errors go (default: the logger). */
  log?: (msg: string, err?: unknown) => void;
}

export interface RouteEntry {
  method: string;
  url: string;
  access: Access;
  audit: string | null;
  /** the route's zod schemas as declared (contract/schema.ts) */
  schemas: DeclaredSchemas;
  /** what its event stream carries, when it has one */
  stream: 'events' | 'run-log' | null;
  /** the media types of a download's bytes, null for a JSON route */
  download: readonly string[] | null;
}

export interface RouteContext {
  deps: AppDeps;
  tickets: TicketBook;
  /** event streams open right now (GET /metrics reports it) */
  streams: { open: number };
}

export function actorOf(p: Principal | null): string {
  return p ? `${p.name} (${p.tokenId})` : 'anonymous';
}
