#!/usr/bin/env python3
"""A runnable adapter: heartbeats of a pretend agent, reported to Costline until it says stop.

    COSTLINE_URL=http://127.0.0.1:3000 COSTLINE_COMPANY_ID=... COSTLINE_AGENT_ID=... \\
        python3 docs/adapters/python/example.py

Optional: COSTLINE_API_KEY (the agent's key, in authenticated mode), COSTLINE_HEARTBEATS
(most heartbeats to run, default 20), COSTLINE_HOLD_CENTS (hold this much before each
heartbeat; default: no holds). Progress goes to stderr; one JSON summary line to
stdout. Exits 0 when it ran and stopped as told (or was not allowed to start), 1 when
anything is off (a refusal, an answer that does not add up, Costline unreachable), 2 when
the settings are missing.
"""

import json
import os
import sys

from costline import Costline, CostlineError, run_heartbeats


def pretend_heartbeat(n: int) -> dict:
    """One unit of the agent's work: here, the usage of a model call that did not happen.
    No `costCents`, so Costline prices the tokens from its price book; the input grows by
    1,000 tokens a heartbeat so that costs have sub-cent parts (9, 9.3, 9.6 cents ...)."""
    return {
        "provider": "anthropic",
        "model": "claude-sonnet-4-5-20250929",
        "inputTokens": 15_000 + 1_000 * n,
        "outputTokens": 3_000,
    }


def setting(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        raise KeyError(name)
    return value


def main() -> int:
    try:
        client = Costline(
            base_url=setting("COSTLINE_URL"),
            company_id=setting("COSTLINE_COMPANY_ID"),
            agent_id=setting("COSTLINE_AGENT_ID"),
            api_key=os.environ.get("COSTLINE_API_KEY") or None,
        )
        max_heartbeats = int(os.environ.get("COSTLINE_HEARTBEATS", "20"))
        hold_cents = int(os.environ.get("COSTLINE_HOLD_CENTS") or 0) or None
        if max_heartbeats < 0:
            raise ValueError("COSTLINE_HEARTBEATS must not be negative")
    except (KeyError, ValueError) as err:
        print(f"example: missing or bad setting: {err}", file=sys.stderr)
        return 2

    def log(line: str) -> None:
        print(f"[python adapter] {line}", file=sys.stderr)

    try:
        summary = run_heartbeats(client, pretend_heartbeat, max_heartbeats, log, hold_cents)
        if summary.last_enforcement.get("agentStatus", "active") != "active":
            # The last answer paused the agent: the agent's own record must agree.
            check = client.may_run()
            if check.may_run:
                raise CostlineError("the event's answer paused the agent; the agent says it may run")
            log(f"agent is now {check.status} ({check.pause_reason})")
    except CostlineError as err:
        log(f"error: {err}")
        return 1
    print(
        json.dumps(
            {
                "language": "python",
                "heartbeats": summary.heartbeats,
                "eventIds": summary.event_ids,
                "costMicroCents": summary.cost_micro_cents,
                "replayed": summary.replayed,
                "retries": client.retries,
                "softAlerts": summary.soft_alerts,
                "stopped": summary.stopped,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
