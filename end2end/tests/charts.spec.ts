import { expect, test } from "@playwright/test";
import { chartOption, createAgent, gotoHydrated, points, postEvent, seed } from "./helpers";

/** The colors the dashboard gives a spend bar (src/app/components/charts.rs). */
const OK = "#2456d6";
const WARNING = "#b7791f";
const OVER = "#c53030";

test("spend per agent: each bar takes its agent's budget level", async ({ page, request }) => {
  const { company, writer } = await seed(request); // writer $32 of $50, reviewer $91.45, no budget
  await postEvent(request, company.id, { agentId: writer.id, costCents: 1000 }); // writer: $42, 84%
  const over = await createAgent(request, company.id, "over", 1000);
  await postEvent(request, company.id, { agentId: over.id, costCents: 2030 }); // $20.30 of $10: 203%
  const calm = await createAgent(request, company.id, "calm", 10000);
  await postEvent(request, company.id, { agentId: calm.id, costCents: 2300 }); // $23 of $100: 23%

  await gotoHydrated(page, `/companies/${company.id}`);
  const option = await chartOption(page, "chart-agents");
  const names: string[] = option.yAxis[0].data;
  const bars = option.series[0].data as { value: number; itemStyle: { color: string } }[];
  const byName = Object.fromEntries(names.map((n, i) => [n, [bars[i].value, bars[i].itemStyle.color]]));
  expect(byName).toEqual({
    reviewer: [91.45, OK], // no budget: never a warning
    writer: [42, WARNING],
    calm: [23, OK],
    over: [20.3, OVER],
  });
});

test("spend by model: horizontal bars, the eight biggest and the rest as Other", async ({ page, request }) => {
  const { company, writer } = await seed(request); // claude-sonnet-4 $63.45, gpt-5 $50, claude-opus-4 $20, mystery-model $0
  // Seven more models of $1 to $7, with names long enough to have been cut before.
  for (let i = 1; i <= 7; i++) {
    await postEvent(request, company.id, { agentId: writer.id, model: `a-rather-long-model-name-${i}`, costCents: i * 100 });
  }
  await gotoHydrated(page, `/companies/${company.id}`);
  const option = await chartOption(page, "chart-models");
  expect(option.yAxis[0].type).toBe("category");
  expect(option.xAxis[0].type).toBe("value");
  // Bottom-up: "Other" (the $2 and $1 models and the unpriced one) at the bottom, the biggest on top.
  expect(option.yAxis[0].data).toEqual([
    "Other",
    "a-rather-long-model-name-3",
    "a-rather-long-model-name-4",
    "a-rather-long-model-name-5",
    "a-rather-long-model-name-6",
    "a-rather-long-model-name-7",
    "claude-opus-4",
    "gpt-5",
    "claude-sonnet-4",
  ]);
  expect(points(option.series[0].data)).toEqual([3, 3, 4, 5, 6, 7, 20, 50, 53.45]);
});

test("spend by model: a model name two providers share is named with its provider", async ({ page, request }) => {
  const { company, writer } = await seed(request);
  await postEvent(request, company.id, { agentId: writer.id, provider: "acme", model: "in-house", costCents: 300 });
  await postEvent(request, company.id, { agentId: writer.id, provider: "initech", model: "in-house", costCents: 200 });
  await gotoHydrated(page, `/companies/${company.id}`);
  const names: string[] = (await chartOption(page, "chart-models")).yAxis[0].data;
  expect(names).toContain("in-house (acme)");
  expect(names).toContain("in-house (initech)");
  expect(names).toContain("gpt-5"); // a name of one provider stays bare
});
