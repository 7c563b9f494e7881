import { APIRequestContext, Page, expect } from "@playwright/test";

/** A unique name, so tests never see each other's data. */
export function unique(prefix: string): string {
  return `${prefix} ${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
}

export async function createCompany(request: APIRequestContext, name: string, budget = 0) {
  const r = await request.post("/api/companies", { data: { name, budgetMonthlyCents: budget } });
  expect(r.status()).toBe(201);
  return (await r.json()) as { id: string; name: string };
}

export async function createAgent(request: APIRequestContext, companyId: string, name: string, budget = 0) {
  const r = await request.post(`/api/companies/${companyId}/agents`, {
    data: { name, budgetMonthlyCents: budget },
  });
  expect(r.status()).toBe(201);
  return (await r.json()) as { id: string; name: string };
}

/** Fails the test on any uncaught error in the page (a broken WASM bundle shows up here). */
export function collectPageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(m.text());
  });
  return errors;
}
