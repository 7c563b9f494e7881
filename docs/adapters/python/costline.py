"""A Costline client for agent adapters, standard library only (Python 3.8+).

The adapter loop: before each heartbeat, ask whether the agent may run (budget-status) and,
optionally, hold what the run may cost; after it, report what it cost with an idempotency
key (and the hold's id, which settles it); stop when the answer says so.

    client = Costline(base_url, company_id, agent_id, api_key=None)
    summary = run_heartbeats(client, do_one_heartbeat, max_heartbeats=100, hold_cents=None)

Copy this file into an adapter; it has no dependencies.
"""

import http.client
import json
import random
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable, List, Optional

# Answers worth retrying: the request may not have reached the database, or a proxy in
# between gave up. Costline's own 503 means "nothing was stored". A 500 is a bug: retrying
# will not help, so it is not here.
RETRY_STATUSES = {408, 502, 503, 504}


class CostlineError(Exception):
    """Costline refused the request (4xx, 5xx) or could not be reached after the retries."""

    def __init__(self, message, status=None, body=None):
        super().__init__(message)
        self.status = status
        self.body = body


@dataclass
class RunCheck:
    """The answer to "may this agent run now?"."""

    may_run: bool
    status: str
    pause_reason: Optional[str]


@dataclass
class Verdict:
    """What Costline answered to one reported event."""

    event: dict
    enforcement: dict
    # True when Costline had stored this event before (a retry of a lost answer): 200.
    replayed: bool
    attempts: int

    @property
    def soft_alert(self) -> bool:
        return bool(self.enforcement.get("softAlert"))

    @property
    def stop_reason(self) -> Optional[str]:
        """Why the agent must stop now, or None to keep working."""
        e = self.enforcement
        if e.get("hardStop"):
            return "hard_stop"
        # A company or project paused by hand does not set hardStop: respect it too.
        for scope in ("agentStatus", "companyStatus", "projectStatus"):
            if e.get(scope) not in (None, "active"):
                return f"{scope[:-6]}_{e[scope]}"
        return None


class Costline:
    def __init__(
        self,
        base_url: str,
        company_id: str,
        agent_id: str,
        api_key: Optional[str] = None,
        timeout: float = 15.0,
        max_attempts: int = 6,
        backoff: float = 0.2,
    ):
        self.base_url = base_url.rstrip("/")
        self.company_id = company_id
        self.agent_id = agent_id
        self.api_key = api_key
        self.timeout = timeout
        self.max_attempts = max_attempts
        self.backoff = backoff
        self.retries = 0  # how many requests were sent again, over the client's life

    def may_run(self) -> RunCheck:
        """Whether the agent may start a heartbeat: `GET /api/agents/{id}/budget-status`,
        false when the agent, its company or a budget with nothing left says no."""
        _, status, _ = self._request("GET", f"/api/agents/{self.agent_id}/budget-status")
        return RunCheck(
            may_run=bool(status["mayRun"]),
            status=status["status"],
            pause_reason=status.get("pauseReason"),
        )

    def hold(self, amount_cents: int, ttl_seconds: int = 600, key: Optional[str] = None) -> Optional[dict]:
        """Reserves `amount_cents` for a run before it starts. Answers the hold, or None
        when a budget has no room for it (409: do not run). Retried with the same
        `holdKey`, so a lost answer never holds twice."""
        body = {
            "agentId": self.agent_id,
            "amountCents": amount_cents,
            "ttlSeconds": ttl_seconds,
            "holdKey": key or f"hold-{uuid.uuid4()}",
        }
        try:
            _, hold, _ = self._request("POST", f"/api/companies/{self.company_id}/budget-holds", body=body)
        except CostlineError as err:
            if err.status == 409:
                return None
            raise
        return hold

    def release(self, hold_id: str) -> None:
        """Gives a hold back early (the run did not happen)."""
        self._request("DELETE", f"/api/budget-holds/{hold_id}")

    def report(self, usage: dict, key: Optional[str] = None, hold_id: Optional[str] = None) -> Verdict:
        """Reports one event (`provider`, `model`, token counts, optionally `costCents`,
        `projectId`, `occurredAt`). Retries network errors and 503s with the same key and
        the same body, so the event is stored exactly once."""
        event = dict(usage)
        event["agentId"] = self.agent_id
        if hold_id:
            event["holdId"] = hold_id
        # Fixed once, so every retry is the same body and the event keeps its month.
        event.setdefault("occurredAt", _now_rfc3339())
        key = key or f"hb-{uuid.uuid4()}"
        status, body, attempts = self._request(
            "POST",
            f"/api/companies/{self.company_id}/cost-events",
            body=event,
            headers={"Idempotency-Key": key},
        )
        if not isinstance(body, dict) or body.get("agentId") != self.agent_id or "enforcement" not in body:
            raise CostlineError("the answer is not the event just reported", status, body)
        return Verdict(
            event={k: v for k, v in body.items() if k != "enforcement"},
            enforcement=body["enforcement"],
            replayed=status == 200,
            attempts=attempts,
        )

    def _request(self, method: str, path: str, body=None, headers=None):
        """Sends one request, again on network errors and retryable statuses, with the same
        bytes each time. Answers (status, JSON body, attempts made)."""
        data = None if body is None else json.dumps(body, separators=(",", ":")).encode()
        all_headers = {"Accept": "application/json"}
        if data is not None:
            all_headers["Content-Type"] = "application/json"
        if self.api_key:
            all_headers["Authorization"] = f"Bearer {self.api_key}"
        all_headers.update(headers or {})
        last_problem = None
        for attempt in range(1, self.max_attempts + 1):
            if attempt > 1:
                self.retries += 1
                delay = min(5.0, self.backoff * 2 ** (attempt - 2))
                time.sleep(delay * random.uniform(0.5, 1.0))
            request = urllib.request.Request(
                self.base_url + path, data=data, method=method, headers=all_headers
            )
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:
                    return response.status, json.loads(response.read() or b"null"), attempt
            except urllib.error.HTTPError as err:
                answer = _json_or_text(err.read())
                if err.code not in RETRY_STATUSES:
                    message = answer.get("error") if isinstance(answer, dict) else answer
                    raise CostlineError(f"{method} {path}: {err.code} {message}", err.code, answer)
                last_problem = f"{err.code} {answer}"
            except (OSError, http.client.HTTPException, ValueError) as err:
                # Connection refused or reset, a timeout, an answer cut short: the request
                # may or may not have been stored; the retry with the same key settles it.
                last_problem = f"{type(err).__name__}: {err}"
        raise CostlineError(f"{method} {path}: gave up after {self.max_attempts} attempts ({last_problem})")


@dataclass
class RunSummary:
    heartbeats: int = 0
    event_ids: List[str] = field(default_factory=list)
    cost_micro_cents: int = 0
    replayed: int = 0
    soft_alerts: int = 0
    stopped: str = "max_heartbeats"
    # The `enforcement` of the last reported event.
    last_enforcement: dict = field(default_factory=dict)


def run_heartbeats(
    client: Costline,
    heartbeat: Callable[[int], dict],
    max_heartbeats: int,
    log: Callable[[str], None] = lambda line: None,
    hold_cents: Optional[int] = None,
) -> RunSummary:
    """The adapter loop: check, hold, work, report, obey. `heartbeat(n)` does one unit of the
    agent's work and answers its usage (`provider`, `model`, tokens, optional `costCents`).
    With `hold_cents`, each heartbeat first reserves that much (its most likely cost) and
    does not run when no budget has room for it."""
    summary = RunSummary()
    for n in range(max_heartbeats):
        check = client.may_run()
        if not check.may_run:
            log(f"agent is {check.status} ({check.pause_reason}); not running")
            summary.stopped = "paused"
            break
        hold_id = None
        if hold_cents:
            hold = client.hold(hold_cents)
            if hold is None:
                log(f"no budget has room for {hold_cents} cents; not running")
                summary.stopped = "no_room"
                break
            hold_id = hold["id"]
        try:
            usage = heartbeat(n)
        except BaseException:
            if hold_id:
                client.release(hold_id)
            raise
        summary.heartbeats += 1
        verdict = client.report(usage, hold_id=hold_id)  # a fresh key for each heartbeat
        if verdict.replayed and verdict.attempts == 1:
            raise CostlineError("a new idempotency key was answered as a replay")
        if verdict.event["id"] in summary.event_ids:
            raise CostlineError(f"event {verdict.event['id']} was answered twice")
        summary.event_ids.append(verdict.event["id"])
        summary.cost_micro_cents += verdict.event["costMicroCents"]
        summary.replayed += int(verdict.replayed)
        summary.last_enforcement = e = verdict.enforcement
        log(
            f"heartbeat {n + 1}: {verdict.event['costMicroCents'] / 1e6:.2f} cents "
            f"({verdict.event['costSource']}), agent at {e['agentUtilizationPercent']}%"
            + (" (retried; stored once)" if verdict.replayed else "")
        )
        if verdict.soft_alert:
            summary.soft_alerts += 1
            log("soft alert: 80% of a budget reached; focus on critical work")
        reason = verdict.stop_reason
        if reason:
            log(f"stopping: {reason}")
            summary.stopped = reason
            break
    return summary


def _now_rfc3339() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _json_or_text(raw: bytes):
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode("utf-8", "replace")
