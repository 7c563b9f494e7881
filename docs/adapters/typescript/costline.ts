// A Costline client for agent adapters: plain `fetch`, no dependencies (Node 20+, Deno,
// Bun, browsers).
//
// The adapter loop: before each heartbeat, ask whether the agent may run (budget-status) and,
// optionally, hold what the run may cost; after it, report what it cost with an idempotency
// key (and the hold's id, which settles it); stop when the answer says so.
//
//   const client = new Costline({ baseUrl, companyId, agentId, apiKey });
//   const summary = await runHeartbeats(client, doOneHeartbeat, 100, log, holdCents);
//
// Copy this file into an adapter.

/** Answers worth retrying: the request may not have reached the database, or a proxy in
 * between gave up. Costline's own 503 means "nothing was stored". A 500 is a bug: retrying
 * will not help, so it is not here. */
const RETRY_STATUSES = new Set([408, 502, 503, 504]);

export class CostlineError extends Error {
  constructor(
    message: string,
    readonly status?: number,
    readonly body?: unknown,
  ) {
    super(message);
    this.name = "CostlineError";
  }
}

/** What an adapter reports for one heartbeat. */
export interface Usage {
  provider: string;
  model: string;
  inputTokens?: number;
  cachedInputTokens?: number;
  cacheWriteTokens?: number;
  outputTokens?: number;
  /** What the call cost, if known; without it Costline prices the tokens. */
  costCents?: number;
  projectId?: string;
  /** RFC 3339; set once by `report` when absent. */
  occurredAt?: string;
}

export interface Enforcement {
  agentStatus: string;
  agentUtilizationPercent: number;
  companyStatus: string;
  companyUtilizationPercent: number;
  projectStatus: string | null;
  projectUtilizationPercent: number | null;
  softAlert: boolean;
  hardStop: boolean;
}

export interface CostEvent {
  id: string;
  agentId: string;
  costCents: number;
  costMicroCents: number;
  costSource: "reported" | "computed" | "unpriced";
  eventKey: string | null;
  [field: string]: unknown;
}

export interface RunCheck {
  mayRun: boolean;
  status: string;
  pauseReason: string | null;
}

export interface Verdict {
  event: CostEvent;
  enforcement: Enforcement;
  /** Costline had stored this event before (a retry of a lost answer): 200. */
  replayed: boolean;
  attempts: number;
}

/** Why the agent must stop now, or null to keep working. */
export function stopReason(e: Enforcement): string | null {
  if (e.hardStop) return "hard_stop";
  // A company or project paused by hand does not set hardStop: respect it too.
  const scopes: [string, string | null][] = [
    ["agent", e.agentStatus],
    ["company", e.companyStatus],
    ["project", e.projectStatus],
  ];
  for (const [scope, status] of scopes) {
    if (status !== null && status !== "active") return `${scope}_${status}`;
  }
  return null;
}

export interface CostlineOptions {
  baseUrl: string;
  companyId: string;
  agentId: string;
  apiKey?: string;
  timeoutMs?: number;
  maxAttempts?: number;
  backoffMs?: number;
}

export class Costline {
  readonly companyId: string;
  readonly agentId: string;
  /** How many requests were sent again, over the client's life. */
  retries = 0;
  private readonly baseUrl: string;
  private readonly apiKey?: string;
  private readonly timeoutMs: number;
  private readonly maxAttempts: number;
  private readonly backoffMs: number;

  constructor(o: CostlineOptions) {
    this.baseUrl = o.baseUrl.replace(/\/+$/, "");
    this.companyId = o.companyId;
    this.agentId = o.agentId;
    this.apiKey = o.apiKey;
    this.timeoutMs = o.timeoutMs ?? 15_000;
    this.maxAttempts = o.maxAttempts ?? 6;
    this.backoffMs = o.backoffMs ?? 200;
  }

  /** Whether the agent may start a heartbeat: `GET /api/agents/{id}/budget-status`, false
   * when the agent, its company or a budget with nothing left says no. */
  async mayRun(): Promise<RunCheck> {
    const { body } = await this.request("GET", `/api/agents/${this.agentId}/budget-status`);
    const status = body as { mayRun: boolean; status: string; pauseReason: string | null };
    return { mayRun: status.mayRun === true, status: status.status, pauseReason: status.pauseReason };
  }

  /** Reserves `amountCents` for a run before it starts. Answers the hold's id, or null when
   * a budget has no room for it (409: do not run). Retried with the same `holdKey`, so a
   * lost answer never holds twice. */
  async hold(amountCents: number, ttlSeconds = 600, key = `hold-${crypto.randomUUID()}`): Promise<string | null> {
    const body = { agentId: this.agentId, amountCents, ttlSeconds, holdKey: key };
    try {
      const { body: hold } = await this.request("POST", `/api/companies/${this.companyId}/budget-holds`, body);
      return (hold as { id: string }).id;
    } catch (err) {
      if (err instanceof CostlineError && err.status === 409) return null;
      throw err;
    }
  }

  /** Gives a hold back early (the run did not happen). */
  async release(holdId: string): Promise<void> {
    await this.request("DELETE", `/api/budget-holds/${holdId}`);
  }

  /** Reports one event, settling `holdId` if given. Retries network errors and 503s with
   * the same key and the same body, so the event is stored exactly once. */
  async report(usage: Usage, key: string = `hb-${crypto.randomUUID()}`, holdId?: string): Promise<Verdict> {
    // occurredAt is fixed once, so every retry is the same body and the event keeps its month.
    const event = {
      occurredAt: new Date().toISOString(),
      ...usage,
      agentId: this.agentId,
      ...(holdId ? { holdId } : {}),
    };
    const { status, body, attempts } = await this.request(
      "POST",
      `/api/companies/${this.companyId}/cost-events`,
      event,
      { "Idempotency-Key": key },
    );
    const answer = body as (CostEvent & { enforcement?: Enforcement }) | null;
    if (!answer || answer.agentId !== this.agentId || !answer.enforcement) {
      throw new CostlineError("the answer is not the event just reported", status, body);
    }
    const { enforcement, ...stored } = answer;
    return { event: stored as CostEvent, enforcement, replayed: status === 200, attempts };
  }

  /** Sends one request, again on network errors and retryable statuses, with the same bytes
   * each time. */
  private async request(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; body: unknown; attempts: number }> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const all: Record<string, string> = { accept: "application/json", ...headers };
    if (payload !== undefined) all["content-type"] = "application/json";
    if (this.apiKey) all.authorization = `Bearer ${this.apiKey}`;
    let lastProblem = "";
    for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
      if (attempt > 1) {
        this.retries++;
        const delay = Math.min(5_000, this.backoffMs * 2 ** (attempt - 2));
        await new Promise((r) => setTimeout(r, delay * (0.5 + Math.random() / 2)));
      }
      let response: Response;
      let text: string;
      try {
        response = await fetch(this.baseUrl + path, {
          method,
          headers: all,
          body: payload,
          signal: AbortSignal.timeout(this.timeoutMs),
        });
        text = await response.text();
      } catch (err) {
        // Connection refused or reset, a timeout, an answer cut short: the request may or
        // may not have been stored; the retry with the same key settles it.
        lastProblem = String((err as Error & { cause?: unknown }).cause ?? err);
        continue;
      }
      const parsed = parseJson(text);
      if (response.ok) {
        if (parsed === undefined) {
          lastProblem = `${response.status} with a body that is not JSON`;
          continue;
        }
        return { status: response.status, body: parsed, attempts: attempt };
      }
      if (!RETRY_STATUSES.has(response.status)) {
        const message = (parsed as { error?: string } | undefined)?.error ?? text;
        throw new CostlineError(`${method} ${path}: ${response.status} ${message}`, response.status, parsed ?? text);
      }
      lastProblem = `${response.status} ${text}`;
    }
    throw new CostlineError(`${method} ${path}: gave up after ${this.maxAttempts} attempts (${lastProblem})`);
  }
}

export interface RunSummary {
  heartbeats: number;
  eventIds: string[];
  costMicroCents: number;
  replayed: number;
  softAlerts: number;
  stopped: string;
  /** The `enforcement` of the last reported event. */
  lastEnforcement: Enforcement | null;
}

/** The adapter loop: check, hold, work, report, obey. `heartbeat(n)` does one unit of the
 * agent's work and answers its usage. With `holdCents`, each heartbeat first reserves that
 * much (its most likely cost) and does not run when no budget has room for it. */
export async function runHeartbeats(
  client: Costline,
  heartbeat: (n: number) => Promise<Usage> | Usage,
  maxHeartbeats: number,
  log: (line: string) => void = () => {},
  holdCents?: number,
): Promise<RunSummary> {
  const summary: RunSummary = {
    heartbeats: 0,
    eventIds: [],
    costMicroCents: 0,
    replayed: 0,
    softAlerts: 0,
    stopped: "max_heartbeats",
    lastEnforcement: null,
  };
  for (let n = 0; n < maxHeartbeats; n++) {
    const check = await client.mayRun();
    if (!check.mayRun) {
      log(`agent is ${check.status} (${check.pauseReason}); not running`);
      summary.stopped = "paused";
      break;
    }
    let holdId: string | undefined;
    if (holdCents) {
      const id = await client.hold(holdCents);
      if (id === null) {
        log(`no budget has room for ${holdCents} cents; not running`);
        summary.stopped = "no_room";
        break;
      }
      holdId = id;
    }
    let usage: Usage;
    try {
      usage = await heartbeat(n);
    } catch (err) {
      if (holdId) await client.release(holdId);
      throw err;
    }
    summary.heartbeats++;
    const verdict = await client.report(usage, undefined, holdId); // a fresh key for each heartbeat
    if (verdict.replayed && verdict.attempts === 1) {
      throw new CostlineError("a new idempotency key was answered as a replay");
    }
    if (summary.eventIds.includes(verdict.event.id)) {
      throw new CostlineError(`event ${verdict.event.id} was answered twice`);
    }
    summary.eventIds.push(verdict.event.id);
    summary.costMicroCents += verdict.event.costMicroCents;
    summary.replayed += verdict.replayed ? 1 : 0;
    const e = (summary.lastEnforcement = verdict.enforcement);
    log(
      `heartbeat ${n + 1}: ${(verdict.event.costMicroCents / 1e6).toFixed(2)} cents ` +
        `(${verdict.event.costSource}), agent at ${e.agentUtilizationPercent}%` +
        (verdict.replayed ? " (retried; stored once)" : ""),
    );
    if (e.softAlert) {
      summary.softAlerts++;
      log("soft alert: 80% of a budget reached; focus on critical work");
    }
    const reason = stopReason(e);
    if (reason) {
      log(`stopping: ${reason}`);
      summary.stopped = reason;
      break;
    }
  }
  return summary;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
