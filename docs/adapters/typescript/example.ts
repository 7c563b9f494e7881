// A runnable adapter: heartbeats of a pretend agent, reported to Costline until it says stop.
//
//   npx esbuild docs/adapters/typescript/example.ts --bundle --platform=node --outfile=/tmp/example.mjs --format=esm
//   COSTLINE_URL=http://127.0.0.1:3000 COSTLINE_COMPANY_ID=... COSTLINE_AGENT_ID=... node /tmp/example.mjs
//
// Optional: COSTLINE_API_KEY (the agent's key, in authenticated mode), COSTLINE_HEARTBEATS
// (most heartbeats to run, default 20), COSTLINE_HOLD_CENTS (hold this much before each
// heartbeat; default: no holds). Progress goes to stderr; one JSON summary line to
// stdout. Exits 0 when it ran and stopped as told (or was not allowed to start), 1 when
// anything is off (a refusal, an answer that does not add up, Costline unreachable), 2 when
// the settings are missing.

import { Costline, CostlineError, runHeartbeats, type Usage } from "./costline";

/** One unit of the agent's work: here, the usage of a model call that did not happen. No
 * `costCents`, so Costline prices the tokens from its price book; the input grows by 1,000
 * tokens a heartbeat so that costs have sub-cent parts (9, 9.3, 9.6 cents ...). */
function pretendHeartbeat(n: number): Usage {
  return {
    provider: "anthropic",
    model: "claude-sonnet-4-5-20250929",
    inputTokens: 15_000 + 1_000 * n,
    outputTokens: 3_000,
  };
}

function setting(name: string): string {
  const value = process.env[name];
  if (!value) {
    console.error(`example: missing setting ${name}`);
    process.exit(2);
  }
  return value;
}

async function main(): Promise<number> {
  const client = new Costline({
    baseUrl: setting("COSTLINE_URL"),
    companyId: setting("COSTLINE_COMPANY_ID"),
    agentId: setting("COSTLINE_AGENT_ID"),
    apiKey: process.env.COSTLINE_API_KEY || undefined,
  });
  const maxHeartbeats = Number(process.env.COSTLINE_HEARTBEATS ?? "20");
  if (!Number.isInteger(maxHeartbeats) || maxHeartbeats < 0) {
    console.error("example: COSTLINE_HEARTBEATS must be a whole number");
    return 2;
  }
  const holdCents = Number(process.env.COSTLINE_HOLD_CENTS || "0") || undefined;
  const log = (line: string) => console.error(`[typescript adapter] ${line}`);

  try {
    const summary = await runHeartbeats(client, pretendHeartbeat, maxHeartbeats, log, holdCents);
    if (summary.lastEnforcement && summary.lastEnforcement.agentStatus !== "active") {
      // The last answer paused the agent: the agent's own record must agree.
      const check = await client.mayRun();
      if (check.mayRun) {
        throw new CostlineError("the event's answer paused the agent; the agent says it may run");
      }
      log(`agent is now ${check.status} (${check.pauseReason})`);
    }
    console.log(
      JSON.stringify({
        language: "typescript",
        heartbeats: summary.heartbeats,
        eventIds: summary.eventIds,
        costMicroCents: summary.costMicroCents,
        replayed: summary.replayed,
        retries: client.retries,
        softAlerts: summary.softAlerts,
        stopped: summary.stopped,
      }),
    );
    return 0;
  } catch (err) {
    log(`error: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
}

main().then((code) => process.exit(code));
